/** The claims a revocation check reads (a JWT's, or an introspection answer's). */
export interface RevocableClaims {
  readonly jti?: unknown;
  readonly sid?: unknown;
  readonly sub?: unknown;
  readonly iat?: unknown;
}

/**
 * The latest expiry a store keeps, in seconds since the epoch: 9999-12-31T23:59:59Z. Every store clamps a
 * later `expiresAt` (a token's `exp` of `1e18`, say) to it, so that an entry outlives its token and stays
 * an integer Redis can take (`EXPIREAT`, `SET EXAT`). Earlier expiries are kept as given.
 */
export const REVOCATION_MAX_EXPIRES_AT = 253_402_300_799;

/**
 * Remembers revoked tokens until they expire. `isRevoked` is synchronous and answers from this process's
 * memory (no network round trip per request); the revoking methods reach every instance sharing the store.
 * Also the injection token: inject `RevocationStore` to log a user out.
 */
export abstract class RevocationStore {
  /** True when the token is revoked: its `jti`, its session `sid`, or its subject before its `iat`. */
  abstract isRevoked(claims: RevocableClaims): boolean;
  /**
   * Revokes one token by its `jti`, until `expiresAt` (seconds since the epoch, the token's `exp`; a later
   * time than `REVOCATION_MAX_EXPIRES_AT` is clamped to it, in every method).
   */
  abstract revokeToken(jti: string, expiresAt: number): Promise<void>;
  /** Revokes every token of a session (`sid` claim, e.g. a refresh-token family) until `expiresAt`. */
  abstract revokeSession(sid: string, expiresAt: number): Promise<void>;
  /**
   * Revokes every token of `sub` issued at or before `issuedBefore` (its `iat` <= `issuedBefore`; a token
   * without `iat` too), until `expiresAt`. `issuedBefore` is in seconds and may have a fraction: pass
   * `Date.now() / 1000`. With whole-second `iat`s, a token issued later in the same second is refused too
   * (fail closed) and one from the next second on is accepted; tokens issued with a fractional `iat`
   * (`iat: Date.now() / 1000`, a valid NumericDate) are accepted right after the revocation.
   */
  abstract revokeSubject(sub: string, issuedBefore: number, expiresAt: number): Promise<void>;
  /**
   * Marks a one-time id (a refresh token's `jti`) as used, atomically across instances: true for the
   * first call only. Used for refresh-token rotation and reuse detection.
   *
   * `attempt` makes a retry safe: a value the caller keeps for one attempt and its retries (a hash of a
   * client's `Idempotency-Key`, say). The first call records it; a later call with the same `attempt` is
   * answered true ONCE more, because the first answer may never have reached the caller (a Redis timeout
   * answered 503 although the write landed later); after that, and for any other `attempt` or none, false.
   * So a retry after a 503 succeeds exactly once, and a presentation from anyone without the attempt value
   * is still reuse.
   */
  abstract consumeOnce(id: string, expiresAt: number, attempt?: string): Promise<boolean>;
}
