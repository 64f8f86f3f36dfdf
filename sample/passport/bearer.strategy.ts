import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { AuthService } from '../auth/auth.service.js';
import type { TokenPrincipal } from '../auth/token-principal.js';

/**
 * A passport strategy written the usual @nestjs/passport way, as a team may already have one.
 * The library runs it unchanged through PassportValidator (see passport-bearer.validator.ts).
 */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(private readonly auth: AuthService) {
    super();
  }

  validate(token: string): TokenPrincipal | false {
    return this.auth.principalFor(token) ?? false;
  }
}
