import { createPublicKey, type KeyObject } from 'node:crypto';
import { BoundedMap } from '../bounded-map.js';
import { MIN_RSA_BITS } from '../jwt/keys.js';
import { DPoPProofError } from './dpop-proof-error.js';
import { jwkThumbprint, publicMembers } from './jwk-thumbprint.js';

/** JWK members that only a private (or symmetric) key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** Largest RSA key a proof may use: verifying with a bigger one costs the server more than the client. */
const MAX_RSA_BITS = 8192;

/**
 * The RFC 7638 thumbprint of a proof's `jwk` header; throws `DPoPProofError` for a private key, a symmetric one,
 * or anything that is not an EC, RSA or OKP public key. No key is imported.
 */
export function proofKeyThumbprint(jwk: unknown): string {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw invalid('the proof has no jwk header');
  const members = jwk as Record<string, unknown>;
  for (const name of PRIVATE_MEMBERS) {
    if (Object.hasOwn(members, name)) throw invalid('the jwk header holds a private or symmetric key');
  }
  const thumbprint = jwkThumbprint(members);
  if (thumbprint === undefined) throw invalid('the jwk header is not an EC, RSA or OKP public key');
  return thumbprint;
}

/**
 * The public keys of DPoP proofs (their `jwk` header), imported once with `createPublicKey` and kept by thumbprint:
 * a client signs every proof with the same key, and importing an EC key costs about as much as verifying a
 * signature. Bounded: beyond `max` keys, the least recently used goes first.
 */
export class ProofKeys {
  private readonly keys: BoundedMap<string, KeyObject>;

  constructor(max = 10_000) {
    this.keys = new BoundedMap(max);
  }

  /** The key object of a `jwk` whose thumbprint (`proofKeyThumbprint`) is `thumbprint`; throws `DPoPProofError` if it is not a valid key. */
  keyOf(jwk: Readonly<Record<string, unknown>>, thumbprint: string): KeyObject {
    let key = this.keys.get(thumbprint);
    if (key !== undefined) return key;
    try {
      key = createPublicKey({ key: publicMembers(jwk), format: 'jwk' });
    } catch {
      throw invalid('the jwk header is not a valid public key');
    }
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (bits !== undefined && (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS)) {
      throw invalid(`the jwk header is an RSA key of ${bits} bits (${MIN_RSA_BITS} to ${MAX_RSA_BITS} accepted)`);
    }
    this.keys.set(thumbprint, key);
    return key;
  }
}

function invalid(message: string): DPoPProofError {
  return new DPoPProofError('dpop_proof_invalid', message);
}
