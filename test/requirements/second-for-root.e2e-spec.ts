import { Controller, Get, Module, type DynamicModule, type Type } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import {
  APIKeyHeader,
  HTTPBearer,
  Security,
  SecuritySchemesModule,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { outcome, unauthorized } from '../utils/auth';
import { createTestApp, PLATFORMS, type Platform } from '../utils/platforms';

// SecuritySchemesModule is global: forRoot is called once, in the root module. A feature module that
// calls it again gets a start-up error that says so, and names both calls and their modules.

const bearer = new HTTPBearer();
const apiKey = new APIKeyHeader({ name: 'X-API-Key' });
/** Accepts one known value, compared in constant time; the principal is `{ sub }`. */
const accepts = (known: string, sub: string): SecurityValidator => ({
  validate(credentials: unknown) {
    const value = typeof credentials === 'string' ? credentials : (credentials as { credentials: string }).credentials;
    const a = Buffer.from(value);
    const b = Buffer.from(known);
    return a.length === b.length && timingSafeEqual(a, b) ? { sub } : null;
  },
});
const bearerEntry = { scheme: bearer, validator: accepts('token-1', 'ann') };
const apiKeyEntry = { scheme: apiKey, validator: accepts('key-1', 'robot') };

@Security(bearer)
@Controller('me')
class MeController {
  @Get()
  me() {
    return { ok: 'me' };
  }
}

@Security('APIKeyHeader')
@Controller('jobs')
class JobsController {
  @Get()
  jobs() {
    return { ok: 'jobs' };
  }
}

/** A feature module with its own controller that imports `security` (a SecuritySchemesModule registration). */
function featureModule(name: string, security: DynamicModule | undefined): Type {
  @Module({ imports: security ? [security] : [], controllers: [JobsController] })
  class Feature {}
  Object.defineProperty(Feature, 'name', { value: name });
  return Feature;
}

function appModule(security: DynamicModule, feature: Type): Type {
  @Module({ imports: [security, feature], controllers: [MeController] })
  class AppModule {}
  return AppModule;
}

const start = (platform: Platform, app: Type) => createTestApp(platform, { imports: [app] });

describe.each(PLATFORMS)('a second SecuritySchemesModule.forRoot (%s)', (platform) => {
  it('in a feature module is a start-up error naming both calls and their modules', async () => {
    const feature = featureModule('FeatureModule', SecuritySchemesModule.forRoot({ schemes: [apiKeyEntry] }));
    await expect(start(platform, appModule(SecuritySchemesModule.forRoot({ schemes: [bearerEntry] }), feature))).rejects.toThrow(
      new Error(
        'SecuritySchemesModule.forRoot() (or forRootAsync()) was called twice: forRoot() in AppModule and forRoot() in FeatureModule. ' +
          'Call it once, in the root module: the module is global, so its schemes, registry and guard reach every module. ' +
          "Register all schemes there, and refer to them from feature modules with @Security(scheme) or @Security('schemeName').",
      ),
    );
  });

  it('names forRootAsync, and says so even when both calls register the same schemes', async () => {
    const feature = featureModule(
      'ReportsModule',
      SecuritySchemesModule.forRootAsync({ useFactory: () => ({ schemes: [bearerEntry, apiKeyEntry] }) }),
    );
    await expect(start(platform, appModule(SecuritySchemesModule.forRoot({ schemes: [bearerEntry, apiKeyEntry] }), feature))).rejects.toThrow(
      'SecuritySchemesModule.forRoot() (or forRootAsync()) was called twice: forRoot() in AppModule and forRootAsync() in ReportsModule.',
    );
    const same = featureModule('SameOptionsModule', SecuritySchemesModule.forRoot({ schemes: [bearerEntry, apiKeyEntry] }));
    await expect(start(platform, appModule(SecuritySchemesModule.forRoot({ schemes: [bearerEntry, apiKeyEntry] }), same))).rejects.toThrow(
      'was called twice: forRoot() in AppModule and forRoot() in SameOptionsModule.',
    );
  });

  it('counts three calls', async () => {
    const inner = featureModule('InnerModule', SecuritySchemesModule.forRoot({ schemes: [apiKeyEntry] }));
    @Module({ imports: [SecuritySchemesModule.forRoot({ schemes: [apiKeyEntry] }), inner] })
    class OuterModule {}
    await expect(start(platform, appModule(SecuritySchemesModule.forRoot({ schemes: [bearerEntry] }), OuterModule))).rejects.toThrow(
      'was called 3 times: forRoot() in AppModule, forRoot() in OuterModule and forRoot() in InnerModule.',
    );
  });

  it('one registration, imported once or shared by several modules, starts and guards every module', async () => {
    const security = SecuritySchemesModule.forRoot({ schemes: [bearerEntry, apiKeyEntry] });
    for (const feature of [featureModule('FeatureModule', undefined), featureModule('FeatureModule', security)]) {
      const t = await start(platform, appModule(security, feature));
      try {
        expect(outcome(await t.http.get('/me').set('Authorization', 'Bearer token-1'))).toEqual({ status: 200, body: { ok: 'me' }, challenge: undefined });
        expect(outcome(await t.http.get('/jobs').set('X-API-Key', 'key-1'))).toEqual({ status: 200, body: { ok: 'jobs' }, challenge: undefined });
        expect(outcome(await t.http.get('/jobs').set('X-API-Key', 'key-2'))).toEqual(unauthorized('APIKey'));
        expect(outcome(await t.http.get('/me'))).toEqual(unauthorized('Bearer'));
      } finally {
        await t.close();
      }
    }
  });
});
