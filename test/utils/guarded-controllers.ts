import { Controller, Get, Next, UseGuards, type CanActivate, type Type } from '@nestjs/common';
import { CurrentUser, Security, SecurityAll, SkipSecurity, type SchemeRequirement } from 'nestjs-security-schemes';

/**
 * Controllers built at run time for tests that generate applications: each target (base class,
 * controller, handler) may declare `@UseGuards(...)`, `@SkipSecurity()` and alternatives
 * (`@Security`/`@SecurityAll`), applied programmatically as TypeScript would apply them.
 */
export interface TargetDeclaration {
  /** One `@Security` (one scheme) or `@SecurityAll` (several) per alternative, in the order written. */
  alternatives?: readonly (readonly SchemeRequirement[])[];
  skip?: boolean;
  /** `@UseGuards(...guards)`, in this order. */
  guards?: readonly (Type<CanActivate> | CanActivate)[];
}

type Decorator = ClassDecorator & MethodDecorator;

function decoratorsOf({ alternatives = [], skip, guards = [] }: TargetDeclaration): Decorator[] {
  return [
    ...(guards.length > 0 ? [UseGuards(...guards) as Decorator] : []),
    ...(skip ? [SkipSecurity()] : []),
    ...alternatives.map((alternative) =>
      alternative.length === 1 ? Security(alternative[0].scheme, alternative[0]) : SecurityAll(...alternative),
    ),
  ];
}

/** Applies decorators as TypeScript applies the ones written above a declaration: bottom-up. */
function apply(decorators: Decorator[], target: Function, method?: string): void {
  for (const decorator of [...decorators].reverse()) {
    if (method) decorator(target.prototype, method, Object.getOwnPropertyDescriptor(target.prototype, method)!);
    else decorator(target);
  }
}

/** What the handlers answer for `@CurrentUser()`: a principal's `sub`, raw credentials as they are, or null. */
export function principalName(user: unknown): string | null {
  if (user === null || user === undefined) return null;
  if (typeof user === 'string') return user;
  return String((user as { sub?: unknown }).sub ?? null);
}

/**
 * `GET /<path>`, in a controller named `name` that extends a base class; the handler answers
 * `{ user: principalName(@CurrentUser()) }`.
 */
export function singleRouteController(
  path: string,
  name: string,
  targets: { base?: TargetDeclaration; controller?: TargetDeclaration; handler?: TargetDeclaration },
): Type {
  class Base {}
  // Decorated before its subclass, as a base class written in a file is.
  if (targets.base) apply(decoratorsOf(targets.base), Base);
  class RouteController extends Base {
    handle(user: unknown) {
      return { user: principalName(user) };
    }
  }
  Object.defineProperty(RouteController, 'name', { value: name });
  if (targets.handler) apply(decoratorsOf(targets.handler), RouteController, 'handle');
  CurrentUser()(RouteController.prototype, 'handle', 0);
  apply([Get() as Decorator], RouteController, 'handle');
  if (targets.controller) apply(decoratorsOf(targets.controller), RouteController);
  Controller(path)(RouteController);
  return RouteController;
}

/**
 * Express fall-through (Express only: Fastify has no `next()` to the next route): `GET /<path>/:name`
 * (method `first`) calls `next()` after its guards, so Express goes on to `GET /<path>/fixed` (method
 * `second`, declared after it), which answers `{ user: principalName(@CurrentUser()) }`.
 */
export function fallThroughController(
  path: string,
  name: string,
  targets: { base?: TargetDeclaration; controller?: TargetDeclaration; first?: TargetDeclaration; second?: TargetDeclaration },
): Type {
  class Base {}
  if (targets.base) apply(decoratorsOf(targets.base), Base);
  class PairController extends Base {
    first(next: () => void) {
      next();
    }

    second(user: unknown) {
      return { user: principalName(user) };
    }
  }
  Object.defineProperty(PairController, 'name', { value: name });
  if (targets.first) apply(decoratorsOf(targets.first), PairController, 'first');
  Next()(PairController.prototype, 'first', 0);
  apply([Get(':name') as Decorator], PairController, 'first');
  if (targets.second) apply(decoratorsOf(targets.second), PairController, 'second');
  CurrentUser()(PairController.prototype, 'second', 0);
  apply([Get('fixed') as Decorator], PairController, 'second');
  if (targets.controller) apply(decoratorsOf(targets.controller), PairController);
  Controller(path)(PairController);
  return PairController;
}
