import * as crypto from 'node:crypto';

/** The members of a public JWK that make its RFC 7638 thumbprint, by key type, in lexicographic order. */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
};

/**
 * The JWK SHA-256 thumbprint (RFC 7638) of a public key, base64url: what an access token's `cnf.jkt` holds (RFC 9449
 * §6). Undefined when the key type is not EC, RSA or OKP, or a required member is missing or not a string.
 */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string | undefined {
  const members = typeof jwk.kty === 'string' && Object.hasOwn(REQUIRED_MEMBERS, jwk.kty) ? REQUIRED_MEMBERS[jwk.kty] : undefined;
  if (members === undefined) return undefined;
  let json = '{';
  for (const name of members) {
    const value = jwk[name];
    if (typeof value !== 'string' || value === '') return undefined;
    json += `${json.length > 1 ? ',' : ''}"${name}":${JSON.stringify(value)}`;
  }
  return sha256(`${json}}`);
}

/** The public members of a JWK of a known type (those of its thumbprint), for `createPublicKey`. */
export function publicMembers(jwk: Readonly<Record<string, unknown>>): Record<string, string> {
  const members: Record<string, string> = {};
  for (const name of REQUIRED_MEMBERS[jwk.kty as string]) members[name] = jwk[name] as string;
  return members;
}

const sha256: (value: string) => string =
  typeof crypto.hash === 'function'
    ? (value) => crypto.hash('sha256', value, 'base64url')
    : (value) => crypto.createHash('sha256').update(value).digest('base64url');
