import { applyDecorators, BadRequestException, Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Security } from 'nestjs-security-schemes';
import { oauth2Scheme } from './oauth2.schemes.js';
import { TokenPrincipal } from './token-principal.js';

/** Refuses disabled users with 400 "Inactive user". Runs after the global SecurityGuard has set `request.user`. */
@Injectable()
export class ActiveUserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<{ user?: unknown }>().user;
    if (principal instanceof TokenPrincipal && principal.user.disabled) throw new BadRequestException('Inactive user');
    return true;
  }
}

/**
 * The tutorial's `get_current_active_user`: a valid token with the `me` scope, of a user who is not
 * disabled. More scopes can be required next to it, on the class or on a handler.
 */
export function ActiveUser(): ClassDecorator & MethodDecorator {
  return applyDecorators(Security(oauth2Scheme, ['me']), UseGuards(ActiveUserGuard));
}
