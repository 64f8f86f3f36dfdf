import { Controller, Get, Injectable, Logger, Module, type INestApplication } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import {
  APIKeyHeader,
  CurrentUser,
  Security,
  SecurityGuard,
  SecuritySchemesModule,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

// Running ThrottlerGuard (or any global guard) before the security guard, as the README shows.

const apiKey = new APIKeyHeader({ name: 'X-API-Key' });

@Injectable()
class CountingKeyValidator implements SecurityValidator<string, { key: string }> {
  static calls = 0;
  validate(key: string) {
    CountingKeyValidator.calls++;
    return key === 'right' ? { key } : null;
  }
}

@Controller('reports')
class ReportsController {
  @Security(apiKey)
  @Get()
  reports(@CurrentUser('key') key: unknown) {
    return { key };
  }
}

const security = SecuritySchemesModule.forRoot({
  schemes: [{ scheme: apiKey, validator: CountingKeyValidator }],
  globalGuard: false,
});

/** The documented setup: global guards run in the order they are registered. */
@Module({
  imports: [security, ThrottlerModule.forRoot([{ ttl: 60_000, limit: 3 }])],
  providers: [
    CountingKeyValidator,
    { provide: APP_GUARD, useClass: ThrottlerGuard },
    { provide: APP_GUARD, useExisting: SecurityGuard },
  ],
  controllers: [ReportsController],
})
class ThrottledAppModule {}

describe.each(PLATFORMS)('ordering with other global guards (%s)', (platform) => {
  let warnings: jest.SpyInstance;
  beforeEach(() => {
    CountingKeyValidator.calls = 0;
    warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  const securityWarnings = () => warnings.mock.calls.filter(([message]) => String(message).includes('no security guard'));

  it('throttles wrong API keys before they reach the validator', async () => {
    const t = await createTestApp(platform, { imports: [ThrottledAppModule] });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await t.http.get('/reports').set('X-API-Key', `wrong-${i}`)).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
      expect(CountingKeyValidator.calls).toBe(3);
      expect(securityWarnings()).toEqual([]);
    } finally {
      await t.close();
    }
  });

  const guarded = async (t: TestApp) => ({
    anonymous: (await t.http.get('/reports')).status,
    right: (await t.http.get('/reports').set('X-API-Key', 'right')).body,
  });

  it.each([
    ['APP_GUARD useClass', { provide: APP_GUARD, useClass: SecurityGuard }],
    ['APP_GUARD useExisting', { provide: APP_GUARD, useExisting: SecurityGuard }],
  ])('recognises a SecurityGuard registered as %s: enforced, no warning', async (_name, provider) => {
    const t = await createTestApp(platform, {
      imports: [security],
      providers: [CountingKeyValidator, provider],
      controllers: [ReportsController],
    });
    try {
      expect(await guarded(t)).toEqual({ anonymous: 401, right: { key: 'right' } });
      expect(securityWarnings()).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('recognises app.useGlobalGuards(app.get(SecurityGuard)): enforced, no warning', async () => {
    const t = await createTestApp(
      platform,
      { imports: [security], providers: [CountingKeyValidator], controllers: [ReportsController] },
      (app: INestApplication) => {
        app.useGlobalGuards(app.get(SecurityGuard));
      },
    );
    try {
      expect(await guarded(t)).toEqual({ anonymous: 401, right: { key: 'right' } });
      expect(securityWarnings()).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('refuses to start, naming the route, when globalGuard is off and no security guard runs', async () => {
    await expect(
      createTestApp(platform, { imports: [security], providers: [CountingKeyValidator], controllers: [ReportsController] }),
    ).rejects.toThrow(
      /^SecuritySchemesModule: ReportsController\.reports declare security but no security guard runs on them \(globalGuard is off\).*set allowUnguardedRoutes: true\.$/s,
    );
    expect(CountingKeyValidator.calls).toBe(0);
  });

  it('starts with allowUnguardedRoutes: true, for an application that enforces security another way, and warns naming the route', async () => {
    const unguarded = SecuritySchemesModule.forRoot({
      schemes: [{ scheme: apiKey, validator: CountingKeyValidator }],
      globalGuard: false,
      allowUnguardedRoutes: true,
    });
    const t = await createTestApp(platform, {
      imports: [unguarded],
      providers: [CountingKeyValidator],
      controllers: [ReportsController],
    });
    try {
      expect(securityWarnings().map(([message]) => message)).toEqual([
        expect.stringMatching(/^ReportsController\.reports declares security but no security guard runs on it .*allowUnguardedRoutes/s),
      ]);
      // What the application opted into: no security guard runs here, so nothing is checked.
      expect((await t.http.get('/reports')).status).toBe(200);
      expect(CountingKeyValidator.calls).toBe(0);
    } finally {
      await t.close();
    }
  });
});
