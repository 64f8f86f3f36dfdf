import { Controller, ForbiddenException, Get, Inject, Injectable, Module, Req, UseGuards, type Type } from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import { passportJwtSecret } from 'jwks-rsa';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { CurrentUser, JwtValidator, OAuth2ClientCredentialsBearer, Security, SecuritySchemesModule, type JwtClaims } from 'nestjs-security-schemes';
import { itemsOf } from '../fixtures';
import { JWKS_AUDIENCE, JWKS_ISSUER, startJwksServer } from './jwks-fixtures';

// Scenarios 9-11: RS256 access tokens verified with a key from an identity provider's JWKS (served
// by a local HTTP server in the same process), scopes `me items` required.
// 9: the library's JwtValidator, verified-token cache off (every request checks the signature);
// 10: the same with its cache (a client sends the same token again);
// 11: the anchor, @nestjs/passport + passport-jwt + jwks-rsa, as Nest apps combine them today.

const REQUIRED_SCOPES = ['me', 'items'];

function jwksModule(cache: boolean): Type {
  const scheme = new OAuth2ClientCredentialsBearer({ tokenUrl: `${JWKS_ISSUER}/token`, scopes: { me: 'Me.', items: 'Items.' } });

  @Controller('users')
  class ItemsController {
    @Get('me/items/')
    @Security(scheme, REQUIRED_SCOPES)
    items(@CurrentUser() claims: JwtClaims) {
      return itemsOf(claims.sub!);
    }
  }

  @Module({
    imports: [
      SecuritySchemesModule.forRootAsync({
        useFactory: async () => {
          const jwksUri = await startJwksServer();
          const validator = new JwtValidator({ jwksUri, issuer: JWKS_ISSUER, audience: JWKS_AUDIENCE, algorithms: ['RS256'], cache: cache ? undefined : false });
          return { schemes: [{ scheme, validator }] };
        },
      }),
    ],
    controllers: [ItemsController],
  })
  class JwksModule {}
  return JwksModule;
}

/** Scenario 9: JwtValidator without its cache. */
export const JwksCacheMissModule = jwksModule(false);
/** Scenario 10: JwtValidator with its verified-token cache. */
export const JwksCacheHitModule = jwksModule(true);

const JWKS_URI = Symbol('JWKS_URI');

@Injectable()
class JwksStrategy extends PassportStrategy(Strategy, 'jwks') {
  constructor(@Inject(JWKS_URI) jwksUri: string) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: passportJwtSecret({ jwksUri, cache: true, rateLimit: true, jwksRequestsPerMinute: 10 }),
      algorithms: ['RS256'],
      issuer: JWKS_ISSUER,
      audience: JWKS_AUDIENCE,
    });
  }

  validate(claims: { sub: string; scope?: string }) {
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (!REQUIRED_SCOPES.every((scope) => scopes.includes(scope))) throw new ForbiddenException('Not enough permissions');
    return claims;
  }
}

@Controller('users')
@UseGuards(AuthGuard('jwks'))
class PassportItemsController {
  @Get('me/items/')
  items(@Req() request: { user: { sub: string } }) {
    return itemsOf(request.user.sub);
  }
}

/** Scenario 11, the anchor: passport-jwt with jwks-rsa's key provider (its own key cache). */
@Module({
  providers: [{ provide: JWKS_URI, useFactory: startJwksServer }, JwksStrategy],
  controllers: [PassportItemsController],
})
export class PassportJwksModule {}
