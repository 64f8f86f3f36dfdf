import { INVALID_TOKEN_CHALLENGE } from '../tokens/bearer-token.js';
import { SecurityHttpException } from '../core/security.exception.js';
import type { RevocableClaims, RevocationStore } from './revocation-store.js';

/**
 * The answer to a revoked token: 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1),
 * the body of any refused token, and the refusal reason `'revoked'`.
 */
export function revokedTokenError(): SecurityHttpException {
  return new SecurityHttpException(401, 'Could not validate credentials', { 'WWW-Authenticate': INVALID_TOKEN_CHALLENGE }, 'revoked');
}

/**
 * For a validator of your own: throws the 401 of a revoked token when `store` says these verified claims
 * (`jti`, `sid`, `sub` + `iat`) are revoked. One synchronous call, no network round trip:
 *
 * ```ts
 * constructor(private readonly revocations: RevocationStore) {}
 * validate(token: string) {
 *   const claims = this.verify(token);
 *   assertNotRevoked(this.revocations, claims);
 *   return claims;
 * }
 * ```
 */
export function assertNotRevoked(store: RevocationStore, claims: RevocableClaims): void {
  if (store.isRevoked(claims)) throw revokedTokenError();
}
