import { Injectable } from '@nestjs/common';
import { parseAuthorization, type SecurityScopes, type SecurityValidator } from 'nestjs-security-schemes';
import type { TokenPrincipal } from '../auth/token-principal.js';
import { couldNotValidateCredentials, TokenValidator } from '../auth/token.validator.js';

/**
 * OpenIdConnect hands over the whole Authorization header; this takes its bearer token and validates it.
 * The header is read as the library's schemes read it: `Bearer`, one space, the token (a tab or a
 * no-break space after `Bearer` is not a separator), and a token with spaces inside is refused.
 */
@Injectable()
export class OpenIdConnectValidator implements SecurityValidator<string, TokenPrincipal> {
  constructor(private readonly tokens: TokenValidator) {}

  validate(authorization: string, securityScopes: SecurityScopes): TokenPrincipal {
    const [scheme, token] = parseAuthorization(authorization) ?? ['', ''];
    if (scheme.toLowerCase() !== 'bearer' || !token || /\s/.test(token)) throw couldNotValidateCredentials(securityScopes);
    return this.tokens.validate(token, securityScopes);
  }
}
