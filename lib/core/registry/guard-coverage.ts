import type { Logger, Type } from '@nestjs/common';
import { isGateway } from '../../transports/handlers.js';
import { NEST_GUARDS_METADATA, SECURITY_GUARD_MARKER } from '../security.constants.js';
import type { CompiledRoute, SchemeGuardClass } from './compiled-route.js';
import { classChain } from './route-compiler.js';

// Start-up checks that every declared requirement has a security guard to enforce it, in an order that
// lets a ThrottlerGuard count refused credentials. They run once global guards are all known.

export interface GuardCoverage {
  readonly logger: Logger;
  /** The application's global guards, in the order Nest runs them. */
  readonly globalGuards: readonly unknown[];
  /** The module registered SecurityGuard globally (`globalGuard`, the default). */
  readonly globalGuard: boolean;
  readonly allowUnguardedRoutes: boolean;
  readonly routes: readonly CompiledRoute[];
}

/**
 * A requirement no security guard runs for, or a `SchemeGuard` registered globally, is a start-up error
 * (unguarded routes are only warned about with `allowUnguardedRoutes`).
 */
export function checkGuardCoverage({ logger, globalGuards, globalGuard, allowUnguardedRoutes, routes }: GuardCoverage): void {
  checkNoGlobalSchemeGuard(globalGuards);
  const guarded = globalGuard || globalGuards.some(isSecurityGuardInstance);
  if (guarded) warnAboutThrottlerOrder(logger, globalGuards, routes);
  if (guarded) return;
  const unguarded = routes.filter(
    (route) => route.alternatives.length > 0 && !isGateway(route.controller) && !hasSecurityGuard(route.controller, route.handler),
  );
  if (unguarded.length === 0) return;
  const names = unguarded.map((route) => `${route.controller.name}.${route.methodName}`);
  const explanation =
    'declare security but no security guard runs on them (globalGuard is off): register SecurityGuard as a global guard ' +
    '({ provide: APP_GUARD, useExisting: SecurityGuard } or app.useGlobalGuards(app.get(SecurityGuard))) or add ' +
    '@UseGuards(SecurityGuard) to their controllers';
  if (!allowUnguardedRoutes) {
    throw new Error(
      `SecuritySchemesModule: ${names.join(', ')} ${explanation}. If the application enforces these requirements another ` +
        'way, set allowUnguardedRoutes: true.',
    );
  }
  for (const name of names) {
    logger.warn(
      `${name} declares security but no security guard runs on it (globalGuard is off); started because allowUnguardedRoutes ` +
        'is set: the application must enforce it another way.',
    );
  }
}

/** True when SecurityGuard or a SchemeGuard is applied with @UseGuards on the route or its controllers. */
export function hasSecurityGuard(controller: Type, handler: Function): boolean {
  return [...classChain(controller), handler].some((target) =>
    ((Reflect.getOwnMetadata(NEST_GUARDS_METADATA, target) ?? []) as unknown[]).some(
      (guard) => typeof guard === 'function' && SECURITY_GUARD_MARKER in guard,
    ),
  );
}

function isSecurityGuardInstance(guard: unknown): boolean {
  return typeof guard === 'object' && guard !== null && SECURITY_GUARD_MARKER in guard.constructor;
}

/**
 * `SchemeGuard(scheme)` declares its requirement where `@UseGuards` applies it; as a global guard it is
 * applied nowhere, so it would enforce nothing of its own. The same requirement on every route is `defaultSecurity`.
 */
function checkNoGlobalSchemeGuard(globalGuards: readonly unknown[]): void {
  for (const guard of globalGuards) {
    const requirement = (guard as { constructor?: Partial<SchemeGuardClass> } | null)?.constructor?.securityRequirement;
    if (!requirement) continue;
    const name = typeof requirement.scheme === 'string' ? requirement.scheme : requirement.scheme.schemeName;
    throw new Error(
      `SecuritySchemesModule: SchemeGuard(${name}) is registered as a global guard, where it declares no requirement and ` +
        `would enforce nothing of its own. To require "${name}" on every route, use ` +
        `SecuritySchemesModule.forRoot({ defaultSecurity: [...] }) (and @SkipSecurity() for public routes); keep SchemeGuard for @UseGuards.`,
    );
  }
}

/** True when a guard is `@nestjs/throttler`'s ThrottlerGuard or a subclass (matched by class name: the package is not imported). */
function isThrottlerGuard(guard: unknown): boolean {
  for (let type = typeof guard === 'function' ? guard : (guard as object | null)?.constructor; type && type !== Object; type = Object.getPrototypeOf(type)) {
    if ((type as Function).name === 'ThrottlerGuard') return true;
  }
  return false;
}

/**
 * Guards run in order: global ones (APP_GUARD providers in the order their modules are scanned, then
 * `useGlobalGuards`), then the controller's and the handler's `@UseGuards`. A ThrottlerGuard after the
 * security guard never sees refused credentials, so brute-forcing keys is not throttled: warn.
 */
function warnAboutThrottlerOrder(logger: Logger, globalGuards: readonly unknown[], routes: readonly CompiledRoute[]): void {
  const security = globalGuards.findIndex(isSecurityGuardInstance);
  const throttler = globalGuards.findIndex(isThrottlerGuard);
  if (security >= 0 && throttler > security) {
    logger.warn(
      'ThrottlerGuard runs after SecurityGuard (global guards run in the order they are registered), so refused credentials ' +
        'are never counted and guessing keys or passwords is not throttled. Register the ThrottlerGuard first: set ' +
        'globalGuard: false and list { provide: APP_GUARD, useClass: ThrottlerGuard } before { provide: APP_GUARD, useExisting: SecurityGuard }.',
    );
    return;
  }
  if (security < 0 || throttler >= 0) return;
  const late = routes.filter(
    (route) =>
      route.alternatives.length > 0 &&
      [...classChain(route.controller), route.handler].some((target) =>
        ((Reflect.getOwnMetadata(NEST_GUARDS_METADATA, target) ?? []) as unknown[]).some(isThrottlerGuard),
      ),
  );
  if (late.length === 0) return;
  logger.warn(
    `${late.map((route) => `${route.controller.name}.${route.methodName}`).join(', ')}: @UseGuards(ThrottlerGuard) runs after the ` +
      'global SecurityGuard, so refused credentials are never counted. Register ThrottlerGuard globally before SecurityGuard ' +
      '(globalGuard: false, then both as APP_GUARD in that order).',
  );
}
