/** The claims a revocation check reads (a JWT's, or an introspection answer's). */
export interface RevocableClaims {
  readonly jti?: unknown;
  readonly sid?: unknown;
  readonly sub?: unknown;
  readonly iat?: unknown;
}

/**
 * Remembers revoked tokens until they expire. `isRevoked` is synchronous and answers from this process's
 * memory (no network round trip per request); the revoking methods reach every instance sharing the store.
 * Also the injection token: inject `RevocationStore` to log a user out.
 */
export abstract class RevocationStore {
  /** True when the token is revoked: its `jti`, its session `sid`, or its subject before its `iat`. */
  abstract isRevoked(claims: RevocableClaims): boolean;
  /** Revokes one token by its `jti`, until `expiresAt` (seconds since the epoch, the token's `exp`). */
  abstract revokeToken(jti: string, expiresAt: number): Promise<void>;
  /** Revokes every token of a session (`sid` claim, e.g. a refresh-token family) until `expiresAt`. */
  abstract revokeSession(sid: string, expiresAt: number): Promise<void>;
  /** Revokes every token of `sub` issued at or before `issuedBefore` (seconds), until `expiresAt`. */
  abstract revokeSubject(sub: string, issuedBefore: number, expiresAt: number): Promise<void>;
  /**
   * Marks a one-time id (a refresh token's `jti`) as used, atomically across instances: true for the
   * first call only. Used for refresh-token rotation and reuse detection.
   */
  abstract consumeOnce(id: string, expiresAt: number): Promise<boolean>;
}
