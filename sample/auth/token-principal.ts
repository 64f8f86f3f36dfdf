import type { User } from '../users/user.model.js';

/**
 * Who a valid access token belongs to, and the scopes it grants. The library reads the granted
 * scopes from `scopes` to enforce each route's `@Security(scheme, scopes)`.
 */
export class TokenPrincipal {
  constructor(
    readonly user: User,
    readonly scopes: readonly string[],
  ) {}
}
