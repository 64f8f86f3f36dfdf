import type { ExecutionContext } from '@nestjs/common';
import type { Claims } from '../core/claim-checks.js';
import { trustedGrant, type Grant } from '../core/grant.js';

/** Turns verified token claims into the application's user; a falsy result is a 401. */
export type ClaimsToPrincipal<TClaims, TPrincipal> = (
  claims: TClaims,
  context: ExecutionContext,
) => TPrincipal | null | undefined | false | Promise<TPrincipal | null | undefined | false>;

/** What a token validator's `validate` returns: this request's grant, or a falsy value when `toPrincipal` refused the user. */
export type TokenGrant<TPrincipal> = Grant<TPrincipal> | null | undefined | false;

/**
 * What verifying a token gave, made once per token (and cached with it): the frozen claims as the
 * principal, the scopes they grant and the claims themselves.
 */
export function verifiedTokenGrant<T extends object>(claims: T, scopes: readonly string[] | null | undefined): Grant<T> {
  Object.freeze(claims);
  const granted = Object.freeze(Array.isArray(scopes) ? [...scopes] : []);
  return trustedGrant(claims, granted, claims as Claims);
}

/**
 * This request's grant: the verified token's, or, with `toPrincipal`, the user it makes with the token's
 * scopes and claims beside it (whatever object `toPrincipal` returns, even one shared between requests).
 */
export function grantForRequest<TClaims extends object, TPrincipal>(
  verified: Grant<TClaims>,
  toPrincipal: ClaimsToPrincipal<TClaims, TPrincipal> | undefined,
  context: ExecutionContext,
): TokenGrant<TClaims | TPrincipal> | Promise<TokenGrant<TPrincipal>> {
  if (!toPrincipal) return verified;
  const principal = toPrincipal(verified.principal, context);
  if (!(principal instanceof Promise)) return principal ? trustedGrant(principal, verified.scopes!, verified.claims!) : refused(principal);
  return principal.then((value) => (value ? trustedGrant(value, verified.scopes!, verified.claims!) : refused(value)));
}

/** A falsy principal from `toPrincipal`: the request is refused (401). */
function refused(value: unknown): null | undefined | false {
  return value as null | undefined | false;
}
