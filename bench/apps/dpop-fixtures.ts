import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ITEMS_PATH, JWT_KEY, USERNAME } from '../fixtures';

// Shared by scenarios 18 and 18a (servers) and the runner, which signs the access tokens and, for 18a, a new
// DPoP proof (RFC 9449) for every request, as a DPoP client does.

/** The public origin the servers expect in the proofs' `htu` (their `dpop.publicOrigin`): the port varies. */
export const DPOP_ORIGIN = 'http://api.bench.test';
const HTU = `${DPOP_ORIGIN}${ITEMS_PATH}`;

interface ClientKey {
  privateKey: KeyObject;
  /** The protected header of every proof, base64url: typ, alg and the public key. */
  header: string;
  /** The public key's RFC 7638 thumbprint: the token's `cnf.jkt`. */
  jkt: string;
}

let client: ClientKey | undefined;

/** The client's ES256 key, made on first use (by the runner only). */
function clientKey(): ClientKey {
  if (client) return client;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const { crv, x, y } = publicKey.export({ format: 'jwk' });
  const jwk = { crv, kty: 'EC', x, y };
  const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk })).toString('base64url');
  const jkt = createHash('sha256').update(JSON.stringify(jwk)).digest('base64url'); // members in RFC 7638 order
  return (client = { privateKey, header, jkt });
}

/** An HS256 access token (scopes `me items`, two hours); bound to the client's key (`cnf.jkt`) when `bound`. */
export function signDPoPAccessToken(bound: boolean): string {
  const claims = { sub: USERNAME, scope: 'me items', ...(bound ? { cnf: { jkt: clientKey().jkt } } : {}) };
  return jwt.sign(claims, JWT_KEY, { algorithm: 'HS256', expiresIn: '2h' });
}

/** A new DPoP proof for `GET /users/me/items` with this token: a new jti, iat now, ath the token's hash. */
export function dpopProof(token: string): string {
  const { privateKey, header } = clientKey();
  const ath = createHash('sha256').update(token).digest('base64url');
  const payload = Buffer.from(JSON.stringify({ jti: randomUUID(), htm: 'GET', htu: HTU, iat: Math.floor(Date.now() / 1000), ath })).toString('base64url');
  const input = `${header}.${payload}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}
