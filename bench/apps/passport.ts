import { Controller, ForbiddenException, Get, Injectable, Module, Req, UnauthorizedException, UseGuards, type Type } from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import type { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Strategy } from 'passport-http-bearer';
import { itemsOf, JWT_KEY, JWT_SECRET, type User } from '../fixtures';
import { USERS } from './jwt-scopes';

// Scenarios 6 and 7, the anchors: how most Nest apps guard a JWT route today, with @nestjs/passport and
// passport-http-bearer. Same token, same user lookup, same scope check as scenario 4.

const REQUIRED_SCOPES = ['me', 'items'];

function passportAnchor(secret: string | KeyObject): Type {
  @Injectable()
  class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
    validate(token: string): User {
      let claims: jwt.JwtPayload;
      try {
        claims = jwt.verify(token, secret, { algorithms: ['HS256'] }) as jwt.JwtPayload;
      } catch {
        // A strategy whose verify throws anything else makes Nest answer 500, not 401.
        throw new UnauthorizedException();
      }
      const user = typeof claims.sub === 'string' ? USERS.get(claims.sub) : undefined;
      if (!user || !Array.isArray(claims.scopes)) throw new UnauthorizedException();
      const scopes = claims.scopes.filter((scope: unknown) => user.scopes.includes(scope as string));
      if (!REQUIRED_SCOPES.every((scope) => scopes.includes(scope))) throw new ForbiddenException('Not enough permissions');
      return { username: user.username, scopes };
    }
  }

  @Controller('users')
  @UseGuards(AuthGuard('bearer'))
  class ItemsController {
    @Get('me/items/')
    items(@Req() request: { user: User }) {
      return itemsOf(request.user.username);
    }
  }

  @Module({ providers: [BearerStrategy], controllers: [ItemsController] })
  class PassportAnchorModule {}
  return PassportAnchorModule;
}

/** Scenario 6: the secret as a string, parsed by jsonwebtoken on every request. */
export const PassportStringSecretModule = passportAnchor(JWT_SECRET);
/** Scenario 7: the secret as a key object, built once. */
export const PassportKeyObjectModule = passportAnchor(JWT_KEY);
