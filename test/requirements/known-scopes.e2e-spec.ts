import { Controller, Get, UseGuards, type Type } from '@nestjs/common';
import {
  APIKeyCookie,
  APIKeyHeader,
  APIKeyQuery,
  grant,
  HTTPBase,
  HTTPBasic,
  HTTPBearer,
  HTTPDigest,
  OpenIdConnect,
  SchemeGuard,
  Security,
  SecuritySchemesModule,
  type SecurityScheme,
  type SecuritySchemesModuleOptions,
} from 'nestjs-security-schemes';
import { basic, forbidden, outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type Platform } from '../utils/platforms';

// Schemes without an OAuth2 scope map declare their known scopes with a `scopes` list; a route that
// requires any other scope of them fails at start-up, naming the route, the scope and the known ones.

/**
 * Reads `ok;<scope>,<scope>` from whatever the scheme extracted (a Basic user name `ok` with the scopes as
 * password) and grants those scopes; anything else is refused.
 */
const validator = {
  validate(credentials: unknown) {
    const { credentials: value, username, password } = (typeof credentials === 'object' ? credentials : {}) as Record<string, string>;
    const raw = typeof credentials === 'string' ? credentials : (value ?? `${username};${password}`);
    const [prefix, scopes = ''] = raw.replace(/^bearer /i, '').split(';');
    if (prefix !== 'ok') return null;
    return grant({ sub: 'u' }, { scopes: scopes.split(',').filter(Boolean) });
  },
};

function controllerRequiring(scheme: SecurityScheme, scopes: string[], name: string): Type {
  @Controller(name.toLowerCase())
  class RouteController {
    @Security(scheme, scopes)
    @Get()
    list() {
      return { ok: true };
    }
  }
  Object.defineProperty(RouteController, 'name', { value: name });
  return RouteController;
}

async function start(platform: Platform, scheme: SecurityScheme, controllers: Type[], options: Partial<SecuritySchemesModuleOptions> = {}) {
  return createTestApp(platform, {
    imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme, validator }], ...options })],
    controllers,
  });
}

/** Every scheme kind without a scope map, each declaring `items:read` and `items:write`. */
const declaring = (): [string, SecurityScheme][] => [
  ['HTTPBearer', new HTTPBearer({ scopes: ['items:read', 'items:write'] })],
  ['HTTPBasic', new HTTPBasic({ scopes: ['items:read', 'items:write'] })],
  ['HTTPDigest', new HTTPDigest({ scopes: ['items:read', 'items:write'] })],
  ['HTTPBase', new HTTPBase({ scheme: 'Token', scopes: ['items:read', 'items:write'] })],
  ['APIKeyHeader', new APIKeyHeader({ name: 'X-Key', scopes: ['items:read', 'items:write'] })],
  ['APIKeyQuery', new APIKeyQuery({ name: 'key', scopes: ['items:read', 'items:write'] })],
  ['APIKeyCookie', new APIKeyCookie({ name: 'key', scopes: ['items:read', 'items:write'] })],
  ['OpenIdConnect', new OpenIdConnect({ openIdConnectUrl: '/.well-known/openid-configuration', scopes: ['items:read', 'items:write'] })],
];

describe.each(PLATFORMS)('known scopes of schemes without a scope map (%s)', (platform) => {
  it.each(declaring())('a misspelt scope of %s fails at start-up, naming the route, the scope and the known ones', async (name, scheme) => {
    await expect(start(platform, scheme, [controllerRequiring(scheme, ['itmes:read'], 'ItemsController')])).rejects.toThrow(
      new Error(
        `ItemsController.list requires scope "itmes:read" of scheme "${name}", which declares only: items:read, items:write. ` +
          'Did you mean "items:read"?',
      ),
    );
  });

  it('checks the module default and SchemeGuard requirements too', async () => {
    const bearer = new HTTPBearer({ scopes: ['items:read'] });
    await expect(
      start(platform, bearer, [controllerRequiring(bearer, [], 'PlainController')], { defaultSecurity: [{ scheme: bearer, scopes: ['admin'] }] }),
    ).rejects.toThrow('PlainController.list requires scope "admin" of scheme "HTTPBearer", which declares only: items:read.');

    @Controller('guarded')
    class GuardedController {
      @UseGuards(SchemeGuard(bearer, ['item:read']))
      @Get()
      read() {}
    }
    await expect(start(platform, bearer, [GuardedController])).rejects.toThrow(
      'GuardedController.read requires scope "item:read" of scheme "HTTPBearer", which declares only: items:read. Did you mean "items:read"?',
    );
  });

  it('an empty list declares no scopes: any required scope is an error', async () => {
    const key = new APIKeyHeader({ name: 'X-Key', scopes: [] });
    await expect(start(platform, key, [controllerRequiring(key, ['read'], 'ReadController')])).rejects.toThrow(
      'ReadController.list requires scope "read" of scheme "APIKeyHeader", which declares only: (no scopes).',
    );
  });

  it('a declared scope is enforced as before: 200 with it, 403 insufficient_scope without it', async () => {
    const bearer = new HTTPBearer({ scopes: ['items:read', 'items:write'] });
    const t = await start(platform, bearer, [controllerRequiring(bearer, ['items:read'], 'ItemsController')]);
    try {
      expect(outcome(await t.http.get('/itemscontroller').set('Authorization', 'Bearer ok;items:read'))).toEqual({
        status: 200,
        body: { ok: true },
        challenge: undefined,
      });
      expect(outcome(await t.http.get('/itemscontroller').set('Authorization', 'Bearer ok;'))).toEqual(forbidden('items:read'));
      expect((await t.http.get('/itemscontroller')).status).toBe(401);
    } finally {
      await t.close();
    }
  });

  it('a scheme that declares nothing stays permissive: any scope may be required, and is enforced', async () => {
    const users = new HTTPBasic();
    const t = await start(platform, users, [controllerRequiring(users, ['whatever:you-like'], 'AnyController')]);
    try {
      expect((await t.http.get('/anycontroller').set('Authorization', basic('ok', 'whatever:you-like'))).status).toBe(200);
      expect(outcome(await t.http.get('/anycontroller').set('Authorization', basic('ok', '')))).toEqual(forbidden('whatever:you-like'));
    } finally {
      await t.close();
    }
  });
});

describe('the scopes option is checked when the scheme is built', () => {
  it.each([
    ['a string', 'items:read'],
    ['a scope with a space', ['items read']],
    ['a scope with a quote', ['items"read']],
    ['an empty scope', ['']],
    ['a number', [1]],
  ])('refuses %s', (_label, scopes) => {
    expect(() => new APIKeyHeader({ name: 'X-Key', scopes: scopes as string[] })).toThrow(
      `APIKeyHeader: scopes must be a list of scope names (printable ASCII without spaces, quotes or backslashes), got ${JSON.stringify(scopes)}.`,
    );
  });

  it('keeps each scope once, and reports them as declaredScopes', () => {
    expect(new HTTPBearer({ scopes: ['a', 'b', 'a'] }).declaredScopes).toEqual(['a', 'b']);
    expect(new HTTPBearer().declaredScopes).toBeUndefined();
  });
});
