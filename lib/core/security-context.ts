import type { SecurityScheme } from '../schemes/security-scheme.js';
import type { Claims } from './claim-checks.js';
import type { SecurityScopes } from './security-scopes.js';

// What the guard leaves on a request once it lets it in, and how it is read back (`@CurrentUser()`,
// the transports). It travels with the request and is bound to the compiled route it was made for.

/** One scheme that passed on this request. */
export interface AuthenticatedScheme {
  readonly scheme: SecurityScheme;
  readonly credentials: unknown;
  readonly principal: unknown;
  /** The scopes the route requires of this scheme (FastAPI's `SecurityScopes`). */
  readonly scopes: SecurityScopes;
  /** The verified claims this request's credentials carried (a token's), when the validator granted them. */
  readonly claims?: Claims;
}

/** What the guard leaves on the request: the winning alternative's schemes, the primary one first. */
export type SecurityContext = readonly AuthenticatedScheme[];

/** Which route a context was made for: its compiled route (lib/core/registry/compiled-route.ts). */
export interface RouteIdentity {
  readonly controller: Function;
  readonly handler: Function;
}

/** A security context and the compiled route it was made for: it satisfies that route only. */
interface RouteContext {
  readonly route: RouteIdentity;
  readonly passed: SecurityContext;
}

/** The key of the security context in its holder (see contextHolder). */
const SECURITY_CONTEXT = Symbol('security-schemes:context');

type ContextHolder = { [SECURITY_CONTEXT]?: RouteContext };

/** The security context the guard left on a request, or undefined when no security guard ran. */
export function getSecurityContext(request: object): SecurityContext | undefined {
  return contextHolder(request)[SECURITY_CONTEXT]?.passed;
}

/**
 * The security context of this request for the route of `controller` and `handler`: undefined when no
 * security guard ran, `null` when the context was made for another route (an Express handler fell through
 * to this one with `next()`), so that nothing of the first route's principal is shown for the second.
 */
export function routeSecurityContext(request: object, controller: Function, handler: Function): SecurityContext | null | undefined {
  const bound = contextHolder(request)[SECURITY_CONTEXT];
  if (bound === undefined) return undefined;
  return bound.route.handler === handler && bound.route.controller === controller ? bound.passed : null;
}

/** True when a security guard already let this request in for this very route (not one it fell through from). */
export function passedFor(request: object, route: RouteIdentity): boolean {
  return contextHolder(request)[SECURITY_CONTEXT]?.route === route;
}

/** Leaves this route's security context on the request. */
export function setSecurityContext(request: object, route: RouteIdentity, passed: SecurityContext): void {
  const holder = contextHolder(request);
  const value: RouteContext = { route, passed };
  if (holder === request) holder[SECURITY_CONTEXT] = value;
  else Object.defineProperty(holder, SECURITY_CONTEXT, { value, writable: true, configurable: true });
}

/**
 * Where a request's security context is kept. On Express, its response's `locals`, Express's store for
 * request-level data (not enumerable there, so views and copies of `locals` do not see it): adding a
 * property to an Express request costs microseconds, as Express swaps every request's prototype.
 * Elsewhere (Fastify, the GraphQL and WebSocket request objects), the request itself.
 */
function contextHolder(request: object): ContextHolder {
  const locals = (request as { res?: { locals?: unknown } }).res?.locals;
  return typeof locals === 'object' && locals !== null ? (locals as ContextHolder) : (request as ContextHolder);
}
