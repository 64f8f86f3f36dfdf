import type { User } from '../users/user.model.js';
import type { TokenClaims } from './token.service.js';

/**
 * Who a valid access token belongs to, the scopes it grants, and its verified claims (`jti`, `sid`...,
 * what logging out revokes). The library reads the granted scopes from `scopes` to enforce each route's
 * `@Security(scheme, scopes)`.
 */
export class TokenPrincipal {
  constructor(
    readonly user: User,
    readonly scopes: readonly string[],
    readonly claims: TokenClaims,
  ) {}
}
