import { Injectable } from '@nestjs/common';
import { quoteString, SecurityHttpException, type SecurityScopes, type SecurityValidator } from 'nestjs-security-schemes';
import { AuthService } from './auth.service.js';
import type { TokenPrincipal } from './token-principal.js';

/**
 * Validates the bearer tokens of OAuth2PasswordBearer: the tutorial's
 * `get_current_user`. The library then checks the route's scopes against `principal.scopes`
 * and answers 403 insufficient_scope when one is missing.
 */
@Injectable()
export class TokenValidator implements SecurityValidator<string, TokenPrincipal> {
  constructor(private readonly auth: AuthService) {}

  validate(token: string, securityScopes: SecurityScopes): TokenPrincipal {
    const principal = this.auth.principalFor(token);
    if (!principal) throw couldNotValidateCredentials(securityScopes);
    return principal;
  }
}

/** The tutorial's 401, whose challenge lists the scopes the route requires (RFC 6750). */
export function couldNotValidateCredentials(securityScopes: SecurityScopes): SecurityHttpException {
  const challenge = securityScopes.scopes.length > 0 ? `Bearer scope=${quoteString(securityScopes.scopeStr)}` : 'Bearer';
  return new SecurityHttpException(401, 'Could not validate credentials', { 'WWW-Authenticate': challenge });
}
