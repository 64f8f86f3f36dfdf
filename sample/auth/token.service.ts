import { Inject, Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import type { KeyObject } from 'node:crypto';
import { VerifiedTokenCache } from 'nestjs-security-schemes';
import { SIGNING_KEY } from './signing-key.js';

export const ACCESS_TOKEN_EXPIRE_SECONDS = 30 * 60;

/** The only algorithm tokens are signed with, and the only one verification accepts. */
const ALGORITHM = 'HS256';

/** How far ahead of this server's clock another server's `iat`/`nbf` may be, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * True when the token has a finite `exp` (jsonwebtoken accepts a token without one, and `1e400` parses
 * as Infinity), and no `iat` or `nbf` in the future beyond the clock tolerance. jsonwebtoken has already
 * refused an `exp` in the past.
 */
function hasValidTimes(payload: jwt.JwtPayload, now = Date.now() / 1000): boolean {
  const notInFuture = (time: unknown) => time === undefined || (typeof time === 'number' && Number.isFinite(time) && time <= now + CLOCK_TOLERANCE_SECONDS);
  return typeof payload.exp === 'number' && Number.isFinite(payload.exp) && notInFuture(payload.iat) && notInFuture(payload.nbf);
}

export interface AccessTokenClaims {
  username: string;
  scopes: string[];
}

/** Issues and verifies the access tokens: HS256 JWTs with `sub`, `scope` and `exp`. */
@Injectable()
export class TokenService {
  /** A client sends the same token many times: verify its signature once, until it expires. */
  private readonly verified = new VerifiedTokenCache<AccessTokenClaims>({ max: 10_000 });

  constructor(@Inject(SIGNING_KEY) private readonly key: KeyObject) {}

  issue(username: string, scopes: readonly string[]): string {
    const exp = Math.floor(Date.now() / 1000) + ACCESS_TOKEN_EXPIRE_SECONDS;
    return jwt.sign({ sub: username, scope: scopes.join(' '), exp }, this.key, { algorithm: ALGORITHM, noTimestamp: true });
  }

  /**
   * The claims of a valid token, or null when it is malformed, forged, expired, without a finite `exp`,
   * issued or valid only in the future, or not HS256 (`alg: none` included: the algorithm is pinned,
   * never read from the token).
   */
  verify(token: string): AccessTokenClaims | null {
    const cached = this.verified.get(token);
    if (cached) return cached;
    let payload: string | jwt.JwtPayload;
    try {
      // `nbf` is checked below, with the clock tolerance.
      payload = jwt.verify(token, this.key, { algorithms: [ALGORITHM], ignoreNotBefore: true });
    } catch {
      return null;
    }
    if (typeof payload !== 'object' || !hasValidTimes(payload)) return null;
    if (typeof payload.sub !== 'string' || typeof payload.scope !== 'string') return null;
    const claims = Object.freeze({ username: payload.sub, scopes: payload.scope.split(' ').filter((scope) => scope !== '') });
    this.verified.set(token, claims, payload.exp!);
    return claims;
  }
}
