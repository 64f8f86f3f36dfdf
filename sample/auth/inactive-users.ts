import { BadRequestException, Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getSecurityContext, SecurityRegistry } from 'nestjs-security-schemes';
import { TokenPrincipal } from './token-principal.js';

const ALLOW_INACTIVE_USER = 'sample:allow-inactive-user';

/** Lets a disabled user's valid token through on this route (only `GET /status`, as in the tutorial). */
export const AllowInactiveUser = (): ClassDecorator & MethodDecorator => SetMetadata(ALLOW_INACTIVE_USER, true);

/**
 * The sample's one rule for disabled users, the tutorial's `get_current_active_user`: a route that identifies
 * a user by one of the sample's tokens (whichever scheme read it: OAuth2, OpenID Connect, passport, or one
 * alternative of several) answers `400 Inactive user` to a disabled user, unless it is `@AllowInactiveUser()`.
 *
 * A global guard registered right after SecurityGuard (app.module.ts lists both APP_GUARDs, in that order,
 * with the module's `globalGuard: false`): it reads the principal SecurityGuard has just put on the request,
 * after the route's scopes were checked (a missing scope is a 403 first, as in the tutorial). A guard, not an
 * interceptor: an interceptor puts Nest's interceptor pipeline (RxJS, two `AsyncResource.bind` per request)
 * on every route, which cost the sample a large share of its CPU per request.
 */
@Injectable()
export class RefuseInactiveUsers implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly registry: SecurityRegistry,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    // A route without a security requirement identifies no user.
    if (this.registry.requirementFor(context.getClass(), context.getHandler()).alternatives.length === 0) return true;
    const passed = getSecurityContext(context.switchToHttp().getRequest());
    // Fail closed: registered before SecurityGuard, this guard would see no principal and let every disabled user in.
    if (passed === undefined) throw new Error('RefuseInactiveUsers ran before SecurityGuard: list it after SecurityGuard among the global guards.');
    const principal = passed[0]?.principal;
    // The route's metadata is read only for a disabled user's token: nothing is looked up for everyone else.
    if (principal instanceof TokenPrincipal && principal.user.disabled && !this.allowed(context)) throw new BadRequestException('Inactive user');
    return true;
  }

  private allowed(context: ExecutionContext): boolean {
    return this.reflector.getAllAndOverride<boolean>(ALLOW_INACTIVE_USER, [context.getHandler(), context.getClass()]) === true;
  }
}
