import crypto, { createHash, createSecretKey, randomUUID, timingSafeEqual, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

// Shared by the scenario servers and the runner, which signs the tokens it sends.

/** A 64-character HS256 secret, as most apps keep it in their configuration. */
export const JWT_SECRET = 'bench-secret-0123456789abcdef0123456789abcdef0123456789abcdef012';
/** The same secret as a key object, built once at start-up. */
export const JWT_KEY: KeyObject = createSecretKey(Buffer.from(JWT_SECRET, 'utf8'));

export const USERNAME = 'johndoe';
export const PASSWORD = 'secret';
export const API_KEY = 'bench-api-key-5c1d1a2f7e9b4c3d8a6f0e2b4d6c8a1f';

/** The route every scenario serves, the sample's `/users/me/items/` (Nest registers it without the final slash). */
export const ITEMS_PATH = '/users/me/items';

export interface User {
  username: string;
  scopes: readonly string[];
}

/** The body every scenario answers with, so that only the security layer differs. */
export function itemsOf(username: string): { item_id: string; owner: string }[] {
  return [{ item_id: 'Foo', owner: username }];
}

/** An access token like the login route issues: `sub` and `scopes`, valid for two hours. */
export function signAccessToken(username = USERNAME, scopes: readonly string[] = ['me', 'items'], jwtid?: string): string {
  return jwt.sign({ sub: username, scopes }, JWT_KEY, { algorithm: 'HS256', expiresIn: '2h', ...(jwtid === undefined ? {} : { jwtid }) });
}

/**
 * An access token as the sample's POST /token issues it (`typ: at+jwt`; `sub`, `scope`, `iat`, `exp`, `jti`,
 * `sid`; the sample runs with SECRET_KEY = JWT_SECRET).
 */
export function signSampleToken(username = USERNAME, scopes: readonly string[] = ['me', 'items']): string {
  const claims = { sub: username, scope: scopes.join(' '), iat: Date.now() / 1000, jti: randomUUID(), sid: randomUUID() };
  return jwt.sign(claims, JWT_KEY, { algorithm: 'HS256', expiresIn: '2h', header: { alg: 'HS256', typ: 'at+jwt' } });
}

export function basicAuthorization(username = USERNAME, password = PASSWORD): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** SHA-256 of a string; the one-shot `crypto.hash` (Node >= 20.12) costs half of a `createHash` object. */
const sha256: (value: string) => Buffer =
  typeof crypto.hash === 'function'
    ? (value) => crypto.hash('sha256', value, 'buffer') as unknown as Buffer
    : (value) => createHash('sha256').update(value, 'utf8').digest();

/** A constant-time comparison with a secret known at start-up: equal-length SHA-256 digests. */
export function secretMatcher(secret: string): (candidate: string) => boolean {
  const expected = sha256(secret);
  return (candidate) => timingSafeEqual(sha256(candidate), expected);
}
