import { Controller, Get, Module, type Provider } from '@nestjs/common';
import { APP_GUARD, type ApplicationConfig } from '@nestjs/core';
import { CurrentUser, OAuth2PasswordBearer, Security, SecurityGuard, SecuritySchemesModule } from 'nestjs-security-schemes';
import { RefuseInactiveUsers } from '../../sample/auth/inactive-users';
import { TokenPrincipal } from '../../sample/auth/token-principal';
import type { TokenClaims } from '../../sample/auth/token.service';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { startSample } from './sample-app';

// The sample's disabled-user check is a global guard that must run after SecurityGuard (sample/app.module.ts
// lists both, in that order). Listed before it, it would see no principal: it answers 500 rather than let a
// disabled user through. And the sample has no global interceptor: one puts Nest's interceptor pipeline (RxJS,
// AsyncResource.bind) on every request, which made the sample several times slower (npm run bench, row 19).

const scheme = new OAuth2PasswordBearer({ tokenUrl: 'token', scopes: { me: 'Read information about the current user.' } });

/** A valid token of a disabled user, whatever the token says: this test is about the guard, not the validator. */
function disabledUser(): TokenPrincipal {
  const claims = { sub: 'alice', scopes: ['me'], jti: 'j', sid: 's', iat: 0, authTime: 0, exp: 0, revocable: { jti: 'j', sid: 's', sub: 'alice', iat: 0 } };
  const user = { username: 'alice', email: 'alicechains@example.com', full_name: 'Alice Chains', disabled: true };
  return new TokenPrincipal(user, ['me'], claims as TokenClaims);
}

@Controller()
class WhoController {
  @Security(scheme, ['me'])
  @Get('me')
  me(@CurrentUser() principal: TokenPrincipal) {
    return { username: principal.user.username };
  }

  @Get('public')
  open() {
    return { open: true };
  }
}

function appWithGuards(guards: Provider[]) {
  @Module({
    imports: [SecuritySchemesModule.forRoot({ globalGuard: false, schemes: [{ scheme, validator: { validate: () => disabledUser() } }] })],
    controllers: [WhoController],
    providers: guards,
  })
  class GuardOrderModule {}
  return GuardOrderModule;
}

const SECURITY_FIRST = [
  { provide: APP_GUARD, useExisting: SecurityGuard },
  { provide: APP_GUARD, useClass: RefuseInactiveUsers },
];
const INACTIVE_FIRST = [...SECURITY_FIRST].reverse();

describe.each(PLATFORMS)('sample: RefuseInactiveUsers, a global guard after SecurityGuard (%s)', (platform) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('after SecurityGuard: 400 Inactive user for a disabled user; a route without security is untouched', async () => {
    t = await createTestApp(platform, { imports: [appWithGuards(SECURITY_FIRST)] });
    const refused = await t.http.get('/me').set('Authorization', 'Bearer any');
    expect([refused.status, refused.body]).toEqual([400, { statusCode: 400, message: 'Inactive user', error: 'Bad Request' }]);
    expect((await t.http.get('/me')).status).toBe(401);
    expect((await t.http.get('/public')).body).toEqual({ open: true });
  });

  it('before SecurityGuard: 500 on every secured route (fails closed), never 200 for a disabled user', async () => {
    t = await createTestApp(platform, { imports: [appWithGuards(INACTIVE_FIRST)] });
    const response = await t.http.get('/me').set('Authorization', 'Bearer any');
    expect(response.status).toBe(500);
    expect(JSON.stringify(response.body)).not.toContain('alice');
    expect((await t.http.get('/public')).body).toEqual({ open: true });
  });

  it('the sample registers no global interceptor', async () => {
    t = await startSample(platform);
    // NestApplication keeps its ApplicationConfig (global guards, filters, interceptors) in `config`.
    const config = (t.app as unknown as { config: ApplicationConfig }).config;
    const names = (enhancers: object[]) => enhancers.map((enhancer) => enhancer.constructor.name);
    expect(names([...config.getGlobalInterceptors(), ...config.getGlobalRequestInterceptors()])).toEqual([]);
    expect(names(config.getGlobalGuards())).toEqual(['SecurityGuard', 'RefuseInactiveUsers']);
  });
});
