import type { ExecutionContext } from '@nestjs/common';
import { recordedGrantedScopes, recordGrantedScopes } from './granted-scopes.js';
import { recordTokenClaims } from './token-claims.js';

/** Turns verified token claims into the application's user; a falsy result is a 401. */
export type ClaimsToPrincipal<TClaims, TPrincipal> = (
  claims: TClaims,
  context: ExecutionContext,
) => TPrincipal | null | undefined | false | Promise<TPrincipal | null | undefined | false>;

/**
 * Remembers, once per verified token, what the guard reads from its claims: the granted scopes and the
 * claims themselves (the principal is the claims unless `toPrincipal` makes another one). Freezes them.
 */
export function rememberVerifiedClaims<T extends object>(claims: T, scopes: readonly string[] | null | undefined): T {
  Object.freeze(claims);
  recordGrantedScopes(claims, Array.isArray(scopes) ? scopes : []);
  recordTokenClaims(claims, claims as Readonly<Record<string, unknown>>);
  return claims;
}

/**
 * The principal of verified claims: the claims, or what `toPrincipal` makes of them, with the scopes and
 * claims recorded behind it (so scope, claim and step-up checks work whatever the user object is).
 */
export function principalFromClaims<TClaims extends object, TPrincipal>(
  claims: TClaims,
  toPrincipal: ClaimsToPrincipal<TClaims, TPrincipal> | undefined,
  context: ExecutionContext,
): TClaims | TPrincipal | null | undefined | false | Promise<TPrincipal | null | undefined | false> {
  if (!toPrincipal) return claims;
  const scopes = recordedGrantedScopes(claims) ?? [];
  const principal = toPrincipal(claims, context);
  if (!(principal instanceof Promise)) {
    recordGrantedScopes(principal, scopes);
    recordTokenClaims(principal, claims as Readonly<Record<string, unknown>>);
    return principal;
  }
  return principal.then((value) => {
    recordGrantedScopes(value, scopes);
    recordTokenClaims(value, claims as Readonly<Record<string, unknown>>);
    return value;
  });
}
