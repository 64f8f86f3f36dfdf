import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { RevocationStore } from 'nestjs-security-schemes';
import { UsersService } from '../users/users.service.js';
import { invalidGrant, invalidScope, withRevocationStore } from './oauth-errors.js';
import { TokenPrincipal } from './token-principal.js';
import { REFRESH_TOKEN_EXPIRE_SECONDS, TokenService, type TokenClaims, type TokenPair } from './token.service.js';

/**
 * A refresh already past its checks when a revocation is taken may still issue a pair a moment later (its
 * `consumeOnce` waits for Redis, at most the store's command timeout, 2 s): revocations outlive it by this much.
 */
const IN_FLIGHT_SECONDS = 60;

/** Until when a session (a token family) must stay revoked: every token issued so far has expired by then. */
function sessionExpiry(): number {
  return Math.floor(Date.now() / 1000) + REFRESH_TOKEN_EXPIRE_SECONDS + IN_FLIGHT_SECONDS;
}

/**
 * The `consumeOnce` attempt of a refresh sent with an `Idempotency-Key` header: the key and the scopes asked
 * for, hashed (the store keeps no client text). A retry sends the same key and form: the same attempt.
 */
function attemptOf(idempotencyKey: string | undefined, requestedScopes: readonly string[]): string | undefined {
  if (idempotencyKey === undefined || idempotencyKey === '') return undefined;
  return createHash('sha256').update(JSON.stringify([idempotencyKey, requestedScopes])).digest('base64url');
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly revocations: RevocationStore,
  ) {}

  /**
   * An access token and a refresh token, a new session, for a correct user name and password; or null. The
   * tokens grant the requested scopes the user may have, and no others (FastAPI's tutorial grants whatever
   * the form asks for). A login whose client hangs up (`signal`) while it waits for argon2 is dropped.
   */
  async login(username: string, password: string, requestedScopes: readonly string[], signal?: AbortSignal): Promise<TokenPair | null> {
    const user = await this.users.authenticate(username, password, signal);
    if (!user) return null;
    const granted = user.allowedScopes.filter((scope) => requestedScopes.includes(scope));
    return this.tokens.issuePair(user.profile.username, granted);
  }

  /**
   * The refresh-token grant with rotation (RFC 6749 section 6, RFC 9700 section 4.14): a new pair in the
   * same session, and the presented refresh token retired, atomically across instances (`consumeOnce`).
   * A retired token presented again is reuse: its whole session is revoked, so that a thief and the victim
   * are both logged out. Every refusal is `400 invalid_grant`, a scope beyond the original `invalid_scope`.
   *
   * A retry is not reuse when it sends the `Idempotency-Key` of the attempt it retries (a new random value
   * per refresh, the same for its retries): it gets a pair once, even when the first attempt's `consumeOnce`
   * timed out (503) but landed. Without the key, or with another one, a second presentation is reuse.
   */
  async refresh(refreshToken: string, requestedScopes: readonly string[], idempotencyKey?: string): Promise<TokenPair> {
    const claims = this.tokens.verifyRefresh(refreshToken);
    // Without a login time (`auth_time` or `iat`; the sample always sets them) a session cannot be placed
    // before or after a "log out everywhere": refused.
    if (!claims || claims.authTime === undefined || this.revocations.isRevoked(claims.revocable)) {
      throw invalidGrant('The refresh token is invalid, expired or revoked');
    }
    const user = this.users.find(claims.sub);
    if (!user || user.profile.disabled) throw invalidGrant('The user of this refresh token cannot have tokens');
    if (requestedScopes.some((scope) => !claims.scopes.includes(scope))) throw invalidScope();
    const scopes = (requestedScopes.length > 0 ? requestedScopes : claims.scopes).filter((scope) => user.allowedScopes.includes(scope));

    const attempt = attemptOf(idempotencyKey, requestedScopes);
    const first = await withRevocationStore('refresh', () => this.revocations.consumeOnce(claims.jti, claims.exp, attempt));
    if (!first) {
      await withRevocationStore('refresh-token reuse', () => this.revocations.revokeSession(claims.sid, sessionExpiry()));
      throw invalidGrant('The refresh token was already used: every token of its session is revoked');
    }
    // Again: a logout (everywhere) may have run while consumeOnce waited for Redis. One taken on another
    // instance and not heard of yet still covers the new pair: same `sid`, same login time.
    if (this.revocations.isRevoked(claims.revocable)) throw invalidGrant('The refresh token is invalid, expired or revoked');
    return this.tokens.issuePair(user.profile.username, scopes, { sid: claims.sid, authTime: claims.authTime });
  }

  /** Logs out one session: the presented access token and every token of its family (the refresh tokens). */
  async logout(claims: TokenClaims): Promise<void> {
    await withRevocationStore('logout', async () => {
      await this.revocations.revokeToken(claims.jti, claims.exp);
      await this.revocations.revokeSession(claims.sid, sessionExpiry());
    });
  }

  /**
   * Logs out every session of a user logged in until now: every token whose login time (`auth_time`, or
   * `iat`) is at or before this instant, tokens that a refresh in flight issues afterwards included. Times
   * have milliseconds, so a login right after this one gets tokens that work.
   */
  async logoutEverywhere(sub: string): Promise<void> {
    await withRevocationStore('logout everywhere', () => this.revocations.revokeSubject(sub, Date.now() / 1000, sessionExpiry()));
  }

  /** The principal of a valid, unrevoked access token whose user still exists, or null. */
  principalFor(token: string): TokenPrincipal | null {
    const claims = this.tokens.verify(token);
    const user = claims && this.users.find(claims.sub);
    return user ? new TokenPrincipal(user.profile, claims.scopes, claims) : null;
  }
}
