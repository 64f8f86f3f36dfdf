import { Injectable } from '@nestjs/common';
import type { SecurityScopes, SecurityValidator } from 'nestjs-security-schemes';
import type { TokenPrincipal } from '../auth/token-principal.js';
import { couldNotValidateCredentials, TokenValidator } from '../auth/token.validator.js';

/** OpenIdConnect hands over the whole Authorization header; this takes its bearer token and validates it. */
@Injectable()
export class OpenIdConnectValidator implements SecurityValidator<string, TokenPrincipal> {
  constructor(private readonly tokens: TokenValidator) {}

  validate(authorization: string, securityScopes: SecurityScopes): TokenPrincipal {
    const [scheme, token, ...rest] = authorization.trim().split(/\s+/);
    if (scheme.toLowerCase() !== 'bearer' || !token || rest.length > 0) throw couldNotValidateCredentials(securityScopes);
    return this.tokens.validate(token, securityScopes);
  }
}
