import { Controller, Get, Module, type Type } from '@nestjs/common';
import { CurrentUser, HTTPBearer, JwtValidator, Security, SecuritySchemesModule, type JwtClaims } from 'nestjs-security-schemes';
import { itemsOf, JWT_KEY } from '../fixtures';
import { DPOP_ORIGIN } from './dpop-fixtures';

// Scenarios 18 and 18a: the same route (HTTPBearer, JwtValidator, HS256, scopes `me items`, verified-token cache).
// 18: a plain bearer token, the validator without DPoP (the baseline);
// 18a: a DPoP-bound token (cnf.jkt) with a new ES256 proof on every request, the validator with
//      dpop: { mode: 'required' }: the token is a cache hit, the proof costs one signature check and a jti
//      marked used in the module's (in-memory) revocation store.

const REQUIRED_SCOPES = ['me', 'items'];

function dpopModule(dpop: boolean): Type {
  const scheme = new HTTPBearer();

  @Controller('users')
  class ItemsController {
    @Get('me/items/')
    @Security(scheme, REQUIRED_SCOPES)
    items(@CurrentUser() claims: JwtClaims) {
      return itemsOf(claims.sub!);
    }
  }

  const validator = new JwtValidator({
    key: JWT_KEY,
    algorithms: ['HS256'],
    ...(dpop ? { dpop: { mode: 'required' as const, algorithms: ['ES256' as const], publicOrigin: DPOP_ORIGIN } } : {}),
  });

  @Module({ imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme, validator }] })], controllers: [ItemsController] })
  class DPoPModule {}
  return DPoPModule;
}

/** Scenario 18: a cached bearer token. */
export const BearerBaselineModule = dpopModule(false);
/** Scenario 18a: a DPoP-bound token, a new proof each request. */
export const DPoPBoundModule = dpopModule(true);
