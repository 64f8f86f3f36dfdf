import { Inject, Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { randomUUID, type KeyObject } from 'node:crypto';
import { RevocationStore, VerifiedTokenCache, type RevocableClaims } from 'nestjs-security-schemes';
import { SIGNING_KEY } from './signing-key.js';

export const ACCESS_TOKEN_EXPIRE_SECONDS = 30 * 60;
/** A refresh token lives a week; each refresh replaces it (rotation), so a session lasts while it is used. */
export const REFRESH_TOKEN_EXPIRE_SECONDS = 7 * 24 * 60 * 60;

/** The only algorithm tokens are signed with, and the only one verification accepts. */
const ALGORITHM = 'HS256';

/**
 * The `typ` header of each kind of token (RFC 9068 names `at+jwt` for access tokens), checked on both sides:
 * a refresh token is never accepted as an access token, nor the reverse.
 */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const REFRESH_TOKEN_TYPE = 'rt+jwt';

/** How far ahead of this server's clock another server's `iat`/`nbf` may be, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * True when the token has a finite `exp` (jsonwebtoken accepts a token without one, and `1e400` parses
 * as Infinity), and no `iat`, `nbf` or `auth_time` in the future beyond the clock tolerance. jsonwebtoken
 * has already refused an `exp` in the past.
 */
function hasValidTimes(payload: jwt.JwtPayload, now = Date.now() / 1000): boolean {
  const notInFuture = (time: unknown) => time === undefined || (typeof time === 'number' && Number.isFinite(time) && time <= now + CLOCK_TOLERANCE_SECONDS);
  return (
    typeof payload.exp === 'number' && Number.isFinite(payload.exp) && notInFuture(payload.iat) && notInFuture(payload.nbf) && notInFuture(payload.auth_time)
  );
}

/**
 * The verified claims of an access or refresh token. `sid` is the session: the family of tokens that one
 * login started and its refreshes continued; `authTime` (claim `auth_time`) is that login's time, carried
 * unchanged by every refresh. Times have a fraction (milliseconds), so that "log out everywhere"
 * (`revokeSubject`, at or before a time) spares a login made right after it.
 */
export interface TokenClaims {
  readonly sub: string;
  readonly scopes: readonly string[];
  readonly jti: string;
  readonly sid: string;
  readonly iat: number | undefined;
  /** The session's login time; the token's `iat` for a token issued without `auth_time`. */
  readonly authTime: number | undefined;
  readonly exp: number;
  /**
   * What the revocation check reads: `jti`, `sid`, `sub`, and the login time as `iat`, so that "log out
   * everywhere" (`revokeSubject(sub, now)`) refuses every token of the sessions logged in before it, tokens
   * that their refreshes issue afterwards included (a refresh in flight when it ran).
   */
  readonly revocable: RevocableClaims;
}

/** Which session new tokens belong to: a login starts one, a refresh continues it (same `sid` and login time). */
export interface Session {
  readonly sid: string;
  readonly authTime: number;
}

/** An access token and the refresh token that can replace it. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

/**
 * Issues and verifies the sample's tokens: HS256 JWTs with `sub`, `scope`, `iat`, `auth_time`, `exp`, `jti`
 * and `sid`, access tokens (`typ: at+jwt`, 30 minutes) and refresh tokens (`typ: rt+jwt`, 7 days). Every
 * access token it accepts is checked against the RevocationStore, a cached one included.
 */
@Injectable()
export class TokenService {
  /** A client sends the same token many times: verify its signature once, until it expires. */
  private readonly verified = new VerifiedTokenCache<TokenClaims>({ max: 10_000 });

  constructor(
    @Inject(SIGNING_KEY) private readonly key: KeyObject,
    private readonly revocations: RevocationStore,
  ) {}

  /** A new pair for `sub`; `session` continues a session (a refresh), or a new one starts now (a login). */
  issuePair(sub: string, scopes: readonly string[], session?: Session): TokenPair {
    const now = Date.now() / 1000;
    const { sid, authTime } = session ?? { sid: randomUUID(), authTime: now };
    const scope = scopes.join(' ');
    const sign = (type: string, lifetime: number) =>
      jwt.sign({ sub, scope, iat: now, auth_time: authTime, exp: Math.floor(now) + lifetime, jti: randomUUID(), sid }, this.key, {
        algorithm: ALGORITHM,
        header: { alg: ALGORITHM, typ: type }, // jsonwebtoken keeps the `iat` given, with its fraction
      });
    return { accessToken: sign(ACCESS_TOKEN_TYPE, ACCESS_TOKEN_EXPIRE_SECONDS), refreshToken: sign(REFRESH_TOKEN_TYPE, REFRESH_TOKEN_EXPIRE_SECONDS) };
  }

  /**
   * The claims of a valid, unrevoked access token, or null when it is malformed, forged, expired, without a
   * finite `exp`, issued or valid only in the future, not HS256 (`alg: none` included: the algorithm is
   * pinned, never read from the token), not an access token (`typ`), or revoked. The revocation check is a
   * synchronous look-up in this process's memory, after the cache too: a cached token can be revoked.
   */
  verify(token: string): TokenClaims | null {
    const claims = this.verified.get(token) ?? this.verifyAndCache(token);
    return claims === null || this.revocations.isRevoked(claims.revocable) ? null : claims;
  }

  /** The claims of a valid refresh token (signature, `typ: rt+jwt`, times), or null. Revocation is the caller's check. */
  verifyRefresh(token: string): TokenClaims | null {
    return this.decode(token, REFRESH_TOKEN_TYPE);
  }

  private verifyAndCache(token: string): TokenClaims | null {
    const claims = this.decode(token, ACCESS_TOKEN_TYPE);
    if (claims) this.verified.set(token, claims, claims.exp);
    return claims;
  }

  private decode(token: string, type: string): TokenClaims | null {
    let decoded: jwt.Jwt;
    try {
      // `nbf` is checked below, with the clock tolerance.
      decoded = jwt.verify(token, this.key, { algorithms: [ALGORITHM], ignoreNotBefore: true, complete: true });
    } catch {
      return null;
    }
    const { header, payload } = decoded;
    if (header.typ !== type || typeof payload !== 'object' || !hasValidTimes(payload)) return null;
    const { sub, scope, jti, sid, iat, exp, auth_time } = payload as jwt.JwtPayload & { sid?: unknown; auth_time?: number };
    if (typeof sub !== 'string' || typeof scope !== 'string' || !nonEmpty(jti) || !nonEmpty(sid)) return null;
    const authTime = auth_time ?? iat;
    const revocable = Object.freeze({ jti, sid, sub, iat: authTime });
    return Object.freeze({ sub, scopes: Object.freeze(scope.split(' ').filter((item) => item !== '')), jti, sid, iat, authTime, exp: exp!, revocable });
  }
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
