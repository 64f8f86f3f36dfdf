import { createPublicKey, createSecretKey, KeyObject, type JsonWebKey } from 'node:crypto';
import { minSecretBytes, type AlgorithmSpec, type JwtAlgorithm } from './algorithms.js';

/** A verification key: an HMAC secret (string or bytes), a PEM public key or certificate, a JWK, or a KeyObject. */
export type JwtKeyInput = string | Buffer | KeyObject | JsonWebKey;

/** A key object with the `kid` it is known by, if any. */
export interface VerificationKey {
  readonly kid?: string;
  readonly key: KeyObject;
}

/** Smallest RSA modulus accepted (NIST SP 800-131A). */
export const MIN_RSA_BITS = 2048;

/** Builds the configured keys into key objects, once, and checks that each fits the algorithms. */
export function buildStaticKeys(owner: string, input: JwtKeyInput | readonly JwtKeyInput[], specs: Map<string, AlgorithmSpec>): VerificationKey[] {
  const inputs = Array.isArray(input) ? input : [input as JwtKeyInput];
  const symmetric = [...specs.values()][0].symmetric;
  return inputs.map((item, index) => {
    const where = inputs.length > 1 ? `${owner}: key[${index}]` : `${owner}: key`;
    const built = buildKey(where, item, symmetric, specs);
    if (![...specs.values()].some((spec) => spec.accepts(built.key))) {
      throw new Error(`${where} (${describeKey(built.key)}) fits none of the algorithms ${[...specs.keys()].join(', ')}.`);
    }
    return built;
  });
}

function buildKey(where: string, input: JwtKeyInput, symmetric: boolean, specs: Map<string, AlgorithmSpec>): VerificationKey {
  if (input instanceof KeyObject) return { key: checked(where, input.type === 'private' ? createPublicKey(input) : input, specs) };
  if (typeof input === 'string' || Buffer.isBuffer(input)) {
    const text = Buffer.isBuffer(input) ? input.toString('latin1') : input;
    const pem = text.includes('-----BEGIN');
    if (symmetric) {
      if (pem) throw new Error(`${where} is a PEM key, but the algorithms are HMAC (HS*): a public key must never be an HMAC secret.`);
      return { key: checked(where, createSecretKey(Buffer.isBuffer(input) ? input : Buffer.from(input, 'utf8')), specs) };
    }
    if (!pem) throw new Error(`${where} must be a PEM public key, a JWK or a KeyObject for public-key algorithms; a string secret is for HS* only.`);
    return { key: checked(where, createPublicKey(text), specs) };
  }
  if (input && typeof input === 'object' && typeof (input as JsonWebKey).kty === 'string') {
    const jwk = input as JsonWebKey & { kid?: unknown };
    const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
    if (jwk.kty === 'oct') {
      if (!symmetric) throw new Error(`${where} is a symmetric JWK (kty "oct"), but the algorithms are public-key ones.`);
      return { kid, key: checked(where, createSecretKey(Buffer.from(String(jwk.k ?? ''), 'base64url')), specs) };
    }
    if (symmetric) throw new Error(`${where} is a public JWK (kty ${JSON.stringify(jwk.kty)}), but the algorithms are HMAC (HS*).`);
    return { kid, key: checked(where, createPublicKey({ key: publicJwk(jwk), format: 'jwk' }), specs) };
  }
  throw new Error(`${where} must be a secret, a PEM string, a JWK or a KeyObject.`);
}

function checked(where: string, key: KeyObject, specs: Map<string, AlgorithmSpec>): KeyObject {
  const problem = keyProblem(key, specs);
  if (problem) throw new Error(`${where}: ${problem}.`);
  return key;
}

/** Why a key is too weak for the configured algorithms, or undefined. */
export function keyProblem(key: KeyObject, specs: Map<string, AlgorithmSpec>): string | undefined {
  if (key.type === 'secret') {
    const needed = Math.max(...[...specs.keys()].map((name) => minSecretBytes(name as JwtAlgorithm)));
    if (key.symmetricKeySize! < needed) return `an HMAC secret must have at least ${needed} bytes for ${[...specs.keys()].join(', ')}`;
    return undefined;
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits < MIN_RSA_BITS) return `RSA keys must have at least ${MIN_RSA_BITS} bits (this one has ${bits})`;
  return undefined;
}

/** Only the public members of a JWK, so a private JWK given by mistake still yields a public key. */
function publicJwk(jwk: JsonWebKey): JsonWebKey {
  const { kty, crv, x, y, n, e } = jwk;
  return Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined)) as JsonWebKey;
}

function describeKey(key: KeyObject): string {
  return key.type === 'secret' ? 'a secret' : `a ${key.asymmetricKeyType} ${key.type} key`;
}

/**
 * Imports one key of a JWKS (RFC 7517) for signature verification, or returns why it is skipped:
 * symmetric keys, keys for encryption, RSA keys under 2048 bits and keys no configured algorithm fits.
 */
export function importJwksKey(jwk: Record<string, unknown>, specs: Map<string, AlgorithmSpec>): VerificationKey | string {
  if (jwk.kty === 'oct') return 'symmetric keys are never taken from a JWKS';
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') return `unsupported kty ${JSON.stringify(jwk.kty)}`;
  if (jwk.use !== undefined && jwk.use !== 'sig') return 'not a signing key';
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) return 'not a verification key';
  if (jwk.alg !== undefined && !specs.has(String(jwk.alg))) return `its alg ${JSON.stringify(jwk.alg)} is not allowed`;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: publicJwk(jwk as JsonWebKey), format: 'jwk' });
  } catch {
    return 'not a valid public JWK';
  }
  const problem = keyProblem(key, specs);
  if (problem) return problem;
  if (![...specs.values()].some((spec) => spec.accepts(key))) return 'no configured algorithm fits it';
  return { kid: typeof jwk.kid === 'string' ? jwk.kid : undefined, key };
}

/** The key's public material (its SPKI, DER in base64), to tell two keys apart whatever their `kid`. */
export function keyMaterial(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'der' }).toString('base64');
}
