import * as crypto from 'node:crypto';
import type { AlgorithmSpec } from '../jwt/algorithms.js';
import { decodeJws, InvalidTokenError, type DecodedJws } from '../jwt/jws.js';
import { DPoPProofError } from './dpop-proof-error.js';
import { normalizeHtu } from './dpop-request-url.js';
import { proofKeyThumbprint, type ProofKeys } from './proof-keys.js';

/** Longest proof read, in characters: an RSA-4096 proof is about 2,200. */
export const MAX_PROOF_LENGTH = 8192;
/** Longest `jti` accepted. */
const MAX_JTI_LENGTH = 256;

/** What a DPoP proof must match: the request it came with and the token it was sent with. */
export interface DPoPProofExpectations {
  /** The request's HTTP method (`htm`). */
  readonly method: string;
  /** The request's URL as `normalizeHtu` gives it (`htu`); undefined when it cannot be known: the proof is refused. */
  readonly url: string | undefined;
  /** The access token presented with the proof: `ath` must be the base64url SHA-256 of it. */
  readonly accessToken: string;
  /** The algorithms accepted, by name (asymmetric only, see `dpopAlgorithmSpecs`). */
  readonly algorithms: ReadonlyMap<string, AlgorithmSpec>;
  /** Where the proofs' public keys are imported and kept. */
  readonly keys: ProofKeys;
  /** How old `iat` may be, in seconds. */
  readonly iatWindowSeconds: number;
  /** How far in the future `iat` may be, in seconds. */
  readonly clockTolerance: number;
}

/** What a verified proof says. */
export interface VerifiedDPoPProof {
  /** The JWK SHA-256 thumbprint (RFC 7638) of the proof's key: the access token's `cnf.jkt` must be it. */
  readonly jkt: string;
  /** The proof's unique id: used once, within the `iat` window. */
  readonly jti: string;
  readonly iat: number;
  /** The server nonce the proof carries, if any (checked by the caller). */
  readonly nonce: string | undefined;
  readonly alg: string;
}

/**
 * A proof whose form, header and claims passed, its signature not yet checked (`checkDPoPSignature`): what it says
 * cannot be trusted before that, but may already refuse the request, with no key imported and no signature checked.
 */
export interface ReadDPoPProof extends VerifiedDPoPProof {
  readonly jws: DecodedJws;
  readonly spec: AlgorithmSpec;
}

/**
 * Verifies a DPoP proof JWT (RFC 9449 §4.3) and returns what it verified, or throws `DPoPProofError`
 * (`dpop_proof_invalid`, with what failed as its message). Checks, in order: the compact JWS form; `typ`
 * `dpop+jwt`; an allowed asymmetric `alg`; `htm`, `htu` (normalised), `iat` within the window, a `jti`, `ath`
 * = the token's hash; a `jwk` header holding a public key only and fitting `alg`; the signature by that key.
 * The `jti`'s single use and the `nonce` are left to the caller (they need a store and the server's nonces).
 */
export function verifyDPoPProof(proof: string, expected: DPoPProofExpectations): VerifiedDPoPProof {
  return checkDPoPSignature(readDPoPProof(proof, expected), expected.keys);
}

/**
 * The checks of `verifyDPoPProof` that need no key: form, `typ`, `alg`, the claims against the request and the
 * token, the `jwk` header holding a public key only (its thumbprint computed, the key not imported).
 */
export function readDPoPProof(proof: string, expected: DPoPProofExpectations): ReadDPoPProof {
  if (proof.length > MAX_PROOF_LENGTH) throw invalid('the proof is too long');
  let jws: DecodedJws;
  try {
    jws = decodeJws(proof);
  } catch (error) {
    throw invalid(error instanceof InvalidTokenError ? `the proof: ${error.message}` : 'the proof is not a compact JWS');
  }
  const { header, payload } = jws;
  if (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== 'dpop+jwt') throw invalid('typ is not dpop+jwt');
  const alg = header.alg;
  const spec = typeof alg === 'string' ? expected.algorithms.get(alg) : undefined;
  if (spec === undefined) throw invalid('alg is not an allowed asymmetric algorithm');

  const { jti, htm, htu, iat, ath, nonce } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) throw invalid('jti is missing or not a short string');
  if (htm !== expected.method) throw invalid('htm is not the request method');
  if (typeof htu !== 'string' || expected.url === undefined || normalizeHtu(htu) !== expected.url) throw invalid('htu is not the request URL');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalid('iat is missing or not a number');
  const now = Date.now() / 1000;
  if (iat > now + expected.clockTolerance) throw invalid('iat is in the future');
  if (iat < now - expected.iatWindowSeconds) throw invalid('iat is too old');
  if (typeof ath !== 'string' || ath !== accessTokenHash(expected.accessToken)) throw invalid('ath is not the hash of the access token');
  if (nonce !== undefined && typeof nonce !== 'string') throw invalid('nonce is not a string');
  const jkt = proofKeyThumbprint(header.jwk);
  return { jkt, jti, iat, nonce, alg: alg as string, jws, spec };
}

/** The rest of `verifyDPoPProof`: the `jwk` header imported (once per key), fitting `alg`, and the signature by it. */
export function checkDPoPSignature(proof: ReadDPoPProof, keys: ProofKeys): VerifiedDPoPProof {
  const { jws, spec } = proof;
  const key = keys.keyOf(jws.header.jwk as Record<string, unknown>, proof.jkt);
  if (!spec.accepts(key)) throw invalid('the jwk header does not fit alg');
  let verified = false;
  try {
    verified = spec.verify(jws.signingInput, jws.signature, key);
  } catch {
    verified = false; // OpenSSL refuses some malformed signatures
  }
  if (!verified) throw invalid('invalid signature');
  return { jkt: proof.jkt, jti: proof.jti, iat: proof.iat, nonce: proof.nonce, alg: proof.alg };
}

/** `ath`: the base64url SHA-256 of the access token's ASCII (RFC 9449 §4.2). */
export const accessTokenHash: (token: string) => string =
  typeof crypto.hash === 'function'
    ? (token) => crypto.hash('sha256', token, 'base64url')
    : (token) => crypto.createHash('sha256').update(token).digest('base64url');

function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

function invalid(message: string): DPoPProofError {
  return new DPoPProofError('dpop_proof_invalid', message);
}
