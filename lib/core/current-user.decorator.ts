import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { getSecurityContext, routeSecurityContext, type AuthenticatedScheme, type SecurityContext } from './security-context.js';
import type { SchemeRef } from './security-options.interface.js';
import { SecurityScopes } from './security-scopes.js';
import { claimsOf } from './claim-checks.js';
import { checkedRequest } from '../transports/transport.js';

const NO_SCOPES = new SecurityScopes();

/**
 * This call's security context. On HTTP it must have been made for this route: a request an Express handler
 * handed on with `next()` carries the first route's context, which says nothing of this one (`null`).
 */
function contextOf(request: object, context: ExecutionContext): SecurityContext | null | undefined {
  if (context.getType() !== 'http') return getSecurityContext(request);
  return routeSecurityContext(request, context.getClass(), context.getHandler());
}

function authenticated(context: ExecutionContext, scheme?: SchemeRef): AuthenticatedScheme | undefined {
  const request = checkedRequest(context);
  const passed = request && contextOf(request, context);
  if (!passed) return undefined;
  if (scheme === undefined) return passed[0];
  const name = typeof scheme === 'string' ? scheme : scheme.schemeName;
  return passed.find((entry) => entry.scheme.schemeName === name);
}

/**
 * The principal the validator returned (or the credentials, without a validator); `null` for an
 * anonymous request on an optional route. `@CurrentUser('email')` picks one property. When no security
 * guard ran (a route without requirement, or a test that replaced the guard), it reads `request.user`;
 * on a route reached through another route's `next()`, `null` (the principal was the other route's).
 */
export const CurrentUser = createParamDecorator((property: string | undefined, context: ExecutionContext) => {
  const request = checkedRequest(context) as { user?: unknown } | undefined;
  const passed = request && contextOf(request, context);
  const principal = (passed ? passed[0].principal : passed === null ? null : request?.user) ?? null;
  return property && principal !== null && typeof principal === 'object'
    ? (principal as Record<string, unknown>)[property]
    : principal;
});

/** The raw credentials the scheme extracted (token, API key, `{ username, password }`...), or `null`. */
export const CurrentCredentials = createParamDecorator(
  (scheme: SchemeRef | undefined, context: ExecutionContext) => authenticated(context, scheme)?.credentials ?? null,
);

/** The `SecurityScopes` this route requires of the scheme that authenticated (or of `scheme`). */
export const CurrentScopes = createParamDecorator(
  (scheme: SchemeRef | undefined, context: ExecutionContext): SecurityScopes =>
    authenticated(context, scheme)?.scopes ?? NO_SCOPES,
);

/**
 * The verified claims behind this request's credentials: a token's claims, whatever `toPrincipal` turned
 * them into (a principal returned without `grant()` is its own claims when it is a plain object); `null`
 * when there are none. `@CurrentClaims('sid')` picks one claim (undefined when absent).
 */
export const CurrentClaims = createParamDecorator((claim: string | undefined, context: ExecutionContext) => {
  const entry = authenticated(context);
  const claims = entry ? (entry.claims ?? claimsOf(entry.principal)) : undefined;
  if (claim === undefined) return claims ?? null;
  return claims !== undefined && Object.hasOwn(claims, claim) ? claims[claim] : undefined;
});
