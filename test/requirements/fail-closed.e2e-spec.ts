import { Controller, Get, Logger, Module, Next, Param, UseGuards, type Type } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { APP_GUARD, ModuleRef } from '@nestjs/core';
import { GraphQLModule, Query, Resolver } from '@nestjs/graphql';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import {
  APIKeyHeader,
  CurrentClaims,
  CurrentCredentials,
  CurrentUser,
  HTTPBearer,
  SchemeGuard,
  Security,
  SecurityGuard,
  SecurityRegistry,
  SecuritySchemesModule,
} from 'nestjs-security-schemes';
import { forbidden, ok, outcome, unauthorized } from '../utils/auth';
import { createTestApp, PLATFORMS, type Platform } from '../utils/platforms';
import { token, TokenValidator } from '../utils/tokens';

// Configurations that used to leave a declared requirement unenforced, each now refused at start-up or
// enforced (the reproductions, on Express and Fastify).

const apiKey = new APIKeyHeader({ name: 'X-API-Key', schemeName: 'apiKey' });
const bearer = new HTTPBearer({ schemeName: 'bearer' });
const KEYS = [{ scheme: apiKey, validator: TokenValidator }];

@Controller('reports')
class ReportsController {
  @Get()
  reports(@CurrentUser() user: unknown) {
    return { user };
  }
}

@Controller('keys')
class KeysController {
  @Security(apiKey)
  @Get()
  keys(@CurrentUser('sub') sub: unknown) {
    return { sub };
  }
}

describe.each(PLATFORMS)('fail closed (%s)', (platform: Platform) => {
  describe('a SchemeGuard registered globally', () => {
    const message =
      'SecuritySchemesModule: SchemeGuard(apiKey) is registered as a global guard, where it declares no requirement and would enforce ' +
      'nothing of its own. To require "apiKey" on every route, use SecuritySchemesModule.forRoot({ defaultSecurity: [...] }) ' +
      '(and @SkipSecurity() for public routes); keep SchemeGuard for @UseGuards.';

    it('as APP_GUARD is a start-up error that names defaultSecurity', async () => {
      await expect(
        createTestApp(platform, {
          imports: [SecuritySchemesModule.forRoot({ schemes: KEYS })],
          providers: [TokenValidator, { provide: APP_GUARD, useClass: SchemeGuard(apiKey) }],
          controllers: [ReportsController],
        }),
      ).rejects.toThrow(new Error(message));
    });

    it('through useGlobalGuards is the same error', async () => {
      await expect(
        createTestApp(
          platform,
          { imports: [SecuritySchemesModule.forRoot({ schemes: KEYS })], providers: [TokenValidator], controllers: [ReportsController] },
          (app) => {
            const Guard = SchemeGuard(apiKey) as Type<SecurityGuard>;
            app.useGlobalGuards(new Guard(app.get(SecurityRegistry), app.get(ModuleRef)));
          },
        ),
      ).rejects.toThrow(new Error(message));
    });

    it('defaultSecurity, the fix it names, enforces the key on a route without @Security', async () => {
      const t = await createTestApp(platform, {
        imports: [SecuritySchemesModule.forRoot({ schemes: KEYS, defaultSecurity: [apiKey] })],
        providers: [TokenValidator],
        controllers: [ReportsController],
      });
      try {
        expect(outcome(await t.http.get('/reports'))).toEqual(unauthorized('APIKey'));
        expect(outcome(await t.http.get('/reports').set('X-API-Key', 'rejected'))).toEqual(unauthorized('APIKey'));
        expect((await t.http.get('/reports').set('X-API-Key', token('svc'))).status).toBe(200);
      } finally {
        await t.close();
      }
    });
  });

  describe('a scheme without a validator', () => {
    @Controller('me')
    class MeController {
      @Security(bearer)
      @Get()
      me(@CurrentUser() user: { credentials: string }) {
        return { user: user.credentials };
      }
    }

    it('on a route is a start-up error', async () => {
      await expect(
        createTestApp(platform, { imports: [SecuritySchemesModule.forRoot({ schemes: [bearer] })], controllers: [MeController] }),
      ).rejects.toThrow('MeController.me requires scheme "bearer", which has no validator: nothing would check its credentials');
    });

    it("with validatedBy: 'handler', hands the raw credentials to the handler (FastAPI's tutorial style)", async () => {
      const t = await createTestApp(platform, {
        imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: bearer, validatedBy: 'handler' }] })],
        controllers: [MeController],
      });
      try {
        expect(outcome(await t.http.get('/me'))).toEqual(unauthorized('Bearer'));
        expect(outcome(await t.http.get('/me').set('Authorization', 'Bearer anything-at-all'))).toEqual(ok({ user: 'anything-at-all' }));
      } finally {
        await t.close();
      }
    });
  });

  describe('routes that no security guard runs for', () => {
    it('globalGuard: false with no guard registered is a start-up error listing them', async () => {
      await expect(
        createTestApp(platform, {
          imports: [SecuritySchemesModule.forRoot({ schemes: KEYS, globalGuard: false })],
          providers: [TokenValidator],
          controllers: [KeysController, ReportsController],
        }),
      ).rejects.toThrow('SecuritySchemesModule: KeysController.keys declare security but no security guard runs on them (globalGuard is off)');
    });

    it('globalGuard: false with the guard registered through APP_GUARD or useGlobalGuards starts and enforces', async () => {
      const viaProvider = await createTestApp(platform, {
        imports: [SecuritySchemesModule.forRoot({ schemes: KEYS, globalGuard: false })],
        providers: [TokenValidator, { provide: APP_GUARD, useExisting: SecurityGuard }],
        controllers: [KeysController],
      });
      const viaApp = await createTestApp(
        platform,
        { imports: [SecuritySchemesModule.forRoot({ schemes: KEYS, globalGuard: false })], providers: [TokenValidator], controllers: [KeysController] },
        (app) => void app.useGlobalGuards(app.get(SecurityGuard)),
      );
      try {
        for (const t of [viaProvider, viaApp]) {
          expect(outcome(await t.http.get('/keys'))).toEqual(unauthorized('APIKey'));
          expect(outcome(await t.http.get('/keys').set('X-API-Key', token('svc')))).toEqual(ok({ sub: 'svc' }));
        }
      } finally {
        await viaProvider.close();
        await viaApp.close();
      }
    });

    it('a GraphQL resolver with a requirement is listed too', async () => {
      @Resolver()
      class SecretsResolver {
        @Security(apiKey)
        @Query(() => String)
        secret(): string {
          return 'secret';
        }
      }
      await expect(
        createTestApp(platform, {
          imports: [
            SecuritySchemesModule.forRoot({ schemes: KEYS, globalGuard: false }),
            GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true, playground: false }),
          ],
          providers: [TokenValidator, SecretsResolver],
        }),
      ).rejects.toThrow('SecuritySchemesModule: SecretsResolver.secret declare security but no security guard runs on them');
    });
  });

  describe('guard order with ThrottlerGuard', () => {
    @Module({ imports: [ThrottlerModule.forRoot([{ ttl: 60_000, limit: 3 }])], providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }] })
    class ThrottlingModule {}

    const warningAbout = (calls: unknown[][]) => calls.map(([message]) => String(message)).filter((message) => message.includes('ThrottlerGuard runs after'));

    it('warns when a feature module registers ThrottlerGuard after the default global guard (which then never throttles bad keys)', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      try {
        const t = await createTestApp(platform, {
          imports: [SecuritySchemesModule.forRoot({ schemes: KEYS }), ThrottlingModule],
          providers: [TokenValidator],
          controllers: [KeysController],
        });
        try {
          expect(warningAbout(warn.mock.calls)).toHaveLength(1);
          const statuses: number[] = [];
          for (let i = 0; i < 4; i++) statuses.push((await t.http.get('/keys').set('X-API-Key', 'rejected')).status);
          expect(statuses).toEqual([401, 401, 401, 401]); // what the warning is about
        } finally {
          await t.close();
        }
      } finally {
        warn.mockRestore();
      }
    });

    it('stays silent when ThrottlerGuard is registered first (globalGuard: false, both as APP_GUARD in that order), and throttles', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      try {
        const t = await createTestApp(platform, {
          imports: [ThrottlerModule.forRoot([{ ttl: 60_000, limit: 3 }]), SecuritySchemesModule.forRoot({ schemes: KEYS, globalGuard: false })],
          providers: [TokenValidator, { provide: APP_GUARD, useClass: ThrottlerGuard }, { provide: APP_GUARD, useExisting: SecurityGuard }],
          controllers: [KeysController],
        });
        try {
          expect(warningAbout(warn.mock.calls)).toEqual([]);
          const statuses: number[] = [];
          for (let i = 0; i < 4; i++) statuses.push((await t.http.get('/keys').set('X-API-Key', 'rejected')).status);
          expect(statuses).toEqual([401, 401, 401, 429]);
        } finally {
          await t.close();
        }
      } finally {
        warn.mockRestore();
      }
    });
  });
});

// Express lets a handler hand the request on with next() to the next route that matches; the context the
// first route's guard left must not satisfy the second route's requirement. (Fastify routes each request
// to one handler: the second route is then reached directly, and checked as any route.)
@Controller('files')
class FilesController {
  @Security(apiKey, { optional: true })
  @Get(':name')
  file(@Param('name') name: string, @Next() next: () => void) {
    if (name === 'secret' || name === 'report' || name === 'public') return next(); // served below
    return undefined;
  }

  @Security(apiKey, ['admin'])
  @Get('secret')
  secret(@CurrentUser('sub') sub: string) {
    return { secret: true, sub };
  }

  @UseGuards(SchemeGuard(apiKey, ['reports']))
  @Get('report')
  report(@CurrentUser('sub') sub: string) {
    return { report: true, sub };
  }

  @Get('public')
  public(@CurrentUser() user: unknown, @CurrentCredentials() credentials: unknown, @CurrentClaims() claims: unknown) {
    return { public: true, user, credentials, claims };
  }
}

describe.each(PLATFORMS)('a security context is bound to its route (%s)', (platform) => {
  it("a route reached through another route's next() checks its own requirement", async () => {
    const t = await createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: KEYS })],
      providers: [TokenValidator],
      controllers: [FilesController],
    });
    try {
      const get = (path: string, key?: string) => (key ? t.http.get(path).set('X-API-Key', key) : t.http.get(path)).then(outcome);
      expect(await get('/files/secret')).toEqual(unauthorized('APIKey'));
      expect(await get('/files/secret', token('ann', ['read']))).toEqual(forbidden('admin'));
      expect(await get('/files/secret', token('ann', ['admin']))).toEqual(ok({ secret: true, sub: 'ann' }));
      expect(await get('/files/report')).toEqual(unauthorized('APIKey'));
      expect(await get('/files/report', token('ann', ['read']))).toEqual(forbidden('reports'));
      expect(await get('/files/report', token('ann', ['reports']))).toEqual(ok({ report: true, sub: 'ann' }));
      // A route without requirement reached through next(): the first route's principal is not shown there.
      expect(await get('/files/public', token('ann', ['admin']))).toEqual(ok({ public: true, user: null, credentials: null, claims: null }));
    } finally {
      await t.close();
    }
  });
});
