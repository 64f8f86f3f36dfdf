import { Controller, Get, type Type } from '@nestjs/common';
import { CurrentUser, Security, SecurityAll, SkipSecurity, type SchemeRequirement } from 'nestjs-security-schemes';

/** One alternative as the tests declare it: schemes that must all pass. */
export type Alternative = readonly SchemeRequirement[];

/** What one level (base class, controller or handler) declares. */
export interface LevelDeclaration {
  alternatives: readonly Alternative[];
  skip?: boolean;
}

/** `@SkipSecurity()`, then one `@Security`/`@SecurityAll` per alternative, in the order written. */
function decoratorsOf({ alternatives, skip }: LevelDeclaration): (ClassDecorator & MethodDecorator)[] {
  return [
    ...(skip ? [SkipSecurity()] : []),
    ...alternatives.map((alternative) =>
      alternative.length === 1 ? Security(alternative[0].scheme, alternative[0]) : SecurityAll(...alternative),
    ),
  ];
}

/** Applies decorators as TypeScript applies the ones written above a declaration: bottom-up. */
function apply(decorators: (ClassDecorator & MethodDecorator)[], target: Function, method?: string): void {
  for (const decorator of [...decorators].reverse()) {
    if (method) decorator(target.prototype, method, Object.getOwnPropertyDescriptor(target.prototype, method)!);
    else decorator(target);
  }
}

/**
 * A controller at `GET /<path>` named `name`, with a base class, the controller class and the handler
 * declaring what is given. The handler answers `{ user: <principal's sub, or null> }`.
 */
export function routeController(
  path: string,
  name: string,
  levels: { base?: LevelDeclaration; controller?: LevelDeclaration; handler?: LevelDeclaration },
): Type {
  class Base {}
  class RouteController extends Base {
    handle(user: { sub?: string } | null) {
      return { user: user === null ? null : (user.sub ?? null) };
    }
  }
  Object.defineProperty(RouteController, 'name', { value: name });
  if (levels.base) apply(decoratorsOf(levels.base), Base);
  if (levels.controller) apply(decoratorsOf(levels.controller), RouteController);
  if (levels.handler) apply(decoratorsOf(levels.handler), RouteController, 'handle');
  CurrentUser()(RouteController.prototype, 'handle', 0);
  apply([Get() as ClassDecorator & MethodDecorator], RouteController, 'handle');
  Controller(path)(RouteController);
  return RouteController;
}
