import type { Claims } from './claim-checks.js';

/**
 * The brand of a grant. `Symbol.for`, so that a grant made by one copy of the package (ESM) is still
 * recognised by another (CommonJS) in the same process.
 */
const GRANT = Symbol.for('nestjs-security-schemes:grant');

/**
 * What a validator grants for ONE request: the principal, and the scopes and verified claims that come
 * with this request's credentials. The guard checks the route's scopes, claims and step-up against the
 * grant it was handed for this call, so a principal object shared between requests (a cached user) can
 * never lend one token's scopes to another token's request. Make one with `grant()`.
 */
export interface Grant<TPrincipal = unknown> {
  readonly [GRANT]: true;
  /** The principal (`@CurrentUser()`, `request.user`); falsy refuses the request (401). */
  readonly principal: TPrincipal;
  /** The scopes these credentials grant; undefined: read from the principal (the module's `getScopes`). */
  readonly scopes: readonly string[] | undefined;
  /** The verified claims behind the credentials (a token's); undefined: the principal when it is a plain object. */
  readonly claims: Claims | undefined;
}

/** What `grant()` records beside the principal. */
export interface GrantDetails {
  /** The scopes these credentials grant (e.g. a token's `scope` claim, split). */
  scopes?: readonly string[];
  /** The verified claims behind the credentials, for claim checks, step-up and `@CurrentClaims()`. */
  claims?: Claims;
}

class SecurityGrant<TPrincipal> implements Grant<TPrincipal> {
  declare readonly [GRANT]: true;
  constructor(
    readonly principal: TPrincipal,
    readonly scopes: readonly string[] | undefined,
    readonly claims: Claims | undefined,
  ) {}
}
Object.defineProperty(SecurityGrant.prototype, GRANT, { value: true });

/**
 * Returns what a validator grants for this request: `return grant(user, { scopes: token.scopes, claims: token })`.
 * The scopes and claims travel with this call only; they are never looked up by the principal object.
 */
export function grant<TPrincipal>(principal: TPrincipal, details: GrantDetails = {}): Grant<TPrincipal> {
  const { scopes, claims } = details ?? {};
  if (scopes !== undefined && !(Array.isArray(scopes) && scopes.every((scope) => typeof scope === 'string'))) {
    throw new TypeError('grant(principal, { scopes }): scopes must be an array of strings.');
  }
  if (claims !== undefined && (claims === null || typeof claims !== 'object')) {
    throw new TypeError('grant(principal, { claims }): claims must be an object.');
  }
  return new SecurityGrant(principal, scopes === undefined ? undefined : Object.freeze([...scopes]), claims);
}

/** @internal A grant from values already checked (the token validators' per-request path: no copy). */
export function trustedGrant<TPrincipal>(principal: TPrincipal, scopes: readonly string[], claims: Claims): Grant<TPrincipal> {
  return new SecurityGrant(principal, scopes, claims);
}

/** True for what `grant()` returns. */
export function isGrant(value: unknown): value is Grant {
  return typeof value === 'object' && value !== null && (value as { [GRANT]?: unknown })[GRANT] === true;
}
