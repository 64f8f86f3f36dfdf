import { constants, createHmac, timingSafeEqual, verify, type KeyObject } from 'node:crypto';

/** The JWS algorithms the validator verifies (RFC 7518, RFC 8037). `none` is not one of them. */
export const JWT_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** How one algorithm checks a signature with a key object, and which keys it accepts. */
export interface AlgorithmSpec {
  readonly name: JwtAlgorithm;
  readonly symmetric: boolean;
  /** True when the key object is of the kind this algorithm is defined for (no key confusion). */
  accepts(key: KeyObject): boolean;
  verify(input: Buffer, signature: Buffer, key: KeyObject): boolean;
}

const CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };
const MIN_SECRET_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };

function hmac(name: JwtAlgorithm, hash: string): AlgorithmSpec {
  return {
    name,
    symmetric: true,
    accepts: (key) => key.type === 'secret',
    verify(input, signature, key) {
      const expected = createHmac(hash, key).update(input).digest();
      return expected.length === signature.length && timingSafeEqual(expected, signature);
    },
  };
}

function rsa(name: JwtAlgorithm, hash: string, pss: boolean): AlgorithmSpec {
  return {
    name,
    symmetric: false,
    accepts: (key) => key.type === 'public' && (key.asymmetricKeyType === 'rsa' || (pss && key.asymmetricKeyType === 'rsa-pss')),
    verify: (input, signature, key) =>
      pss
        ? verify(hash, input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature)
        : verify(hash, input, key, signature),
  };
}

function ecdsa(name: JwtAlgorithm, hash: string): AlgorithmSpec {
  return {
    name,
    symmetric: false,
    accepts: (key) => key.type === 'public' && key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === CURVES[name],
    verify: (input, signature, key) => verify(hash, input, { key, dsaEncoding: 'ieee-p1363' }, signature),
  };
}

const SPECS: Record<JwtAlgorithm, AlgorithmSpec> = {
  HS256: hmac('HS256', 'sha256'),
  HS384: hmac('HS384', 'sha384'),
  HS512: hmac('HS512', 'sha512'),
  RS256: rsa('RS256', 'sha256', false),
  RS384: rsa('RS384', 'sha384', false),
  RS512: rsa('RS512', 'sha512', false),
  PS256: rsa('PS256', 'sha256', true),
  PS384: rsa('PS384', 'sha384', true),
  PS512: rsa('PS512', 'sha512', true),
  ES256: ecdsa('ES256', 'sha256'),
  ES384: ecdsa('ES384', 'sha384'),
  ES512: ecdsa('ES512', 'sha512'),
  EdDSA: {
    name: 'EdDSA',
    symmetric: false,
    accepts: (key) => key.type === 'public' && (key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448'),
    verify: (input, signature, key) => verify(null, input, key, signature),
  },
};

/** The specs of the configured algorithms; throws on an unknown name (`none` included). */
export function algorithmSpecs(owner: string, algorithms: unknown): Map<string, AlgorithmSpec> {
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new Error(`${owner}: "algorithms" is required: the JWS algorithms to accept, e.g. ['RS256']. It is never read from the token.`);
  }
  const specs = new Map<string, AlgorithmSpec>();
  for (const name of algorithms) {
    const spec = Object.hasOwn(SPECS, name) ? SPECS[name as JwtAlgorithm] : undefined;
    if (!spec) {
      throw new Error(`${owner}: algorithm ${JSON.stringify(name)} is not supported. Use one of: ${JWT_ALGORITHMS.join(', ')}.`);
    }
    specs.set(name, spec);
  }
  const kinds = new Set([...specs.values()].map((spec) => spec.symmetric));
  if (kinds.size > 1) {
    throw new Error(
      `${owner}: "algorithms" mixes HMAC (HS*) and public-key algorithms; a public key could then be used as an HMAC secret ` +
        '(key confusion). Use one kind per validator.',
    );
  }
  return specs;
}

/** Fewest bytes of an HMAC secret for the algorithm (RFC 7518 §3.2: at least the hash size). */
export function minSecretBytes(algorithm: JwtAlgorithm): number {
  return MIN_SECRET_BYTES[algorithm] ?? 0;
}
