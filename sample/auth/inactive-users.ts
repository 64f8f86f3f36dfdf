import { BadRequestException, Injectable, SetMetadata, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SecurityRegistry } from 'nestjs-security-schemes';
import type { Observable } from 'rxjs';
import { TokenPrincipal } from './token-principal.js';

const ALLOW_INACTIVE_USER = 'sample:allow-inactive-user';

/** Lets a disabled user's valid token through on this route (only `GET /status`, as in the tutorial). */
export const AllowInactiveUser = (): ClassDecorator & MethodDecorator => SetMetadata(ALLOW_INACTIVE_USER, true);

/**
 * The sample's one rule for disabled users, the tutorial's `get_current_active_user`: a route that identifies
 * a user by one of the sample's tokens (whichever scheme read it: OAuth2, OpenID Connect, passport, or one
 * alternative of several) answers `400 Inactive user` to a disabled user, unless it is `@AllowInactiveUser()`.
 * An interceptor, because interceptors run after every guard, whatever the order of the global guards:
 * the principal the SecurityGuard put on the request is there. Registered once, as APP_INTERCEPTOR.
 */
@Injectable()
export class RefuseInactiveUsers implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly registry: SecurityRegistry,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const property = this.registry.userProperty;
    if (property !== false && context.getType() === 'http') {
      const principal: unknown = context.switchToHttp().getRequest()[property];
      if (principal instanceof TokenPrincipal && principal.user.disabled && !this.allowed(context)) throw new BadRequestException('Inactive user');
    }
    return next.handle();
  }

  private allowed(context: ExecutionContext): boolean {
    return this.reflector.getAllAndOverride<boolean>(ALLOW_INACTIVE_USER, [context.getHandler(), context.getClass()]) === true;
  }
}
