import { Controller, Get, Injectable, Logger, UseGuards } from '@nestjs/common';
import {
  APIKeyHeader,
  CurrentScopes,
  CurrentUser,
  HTTPBearer,
  SchemeGuard,
  Security,
  SecurityGuard,
  SecuritySchemesModule,
  type SecurityScopes,
} from 'nestjs-security-schemes';
import { expectAgreement } from '../openapi/agreement';
import { forbidden, ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { bearer, token, TokenValidator, type TokenPrincipal } from '../utils/tokens';

const apiKey = new APIKeyHeader({ name: 'X-API-Key' });
const httpBearer = new HTTPBearer();

/** Counts its calls, to show that a request is authenticated once however many guards run. */
@Injectable()
class CountingValidator extends TokenValidator {
  calls = 0;
  override validate(...args: Parameters<TokenValidator['validate']>): TokenPrincipal | null {
    this.calls++;
    return super.validate(...args);
  }
}

@Controller('keys')
class KeysController {
  @UseGuards(SchemeGuard(apiKey, ['read']))
  @Get('read')
  read(@CurrentUser('sub') sub: unknown, @CurrentScopes() scopes: SecurityScopes) {
    return { sub, scopes: scopes.scopes };
  }

  @Get('open')
  open(@CurrentUser() user: unknown) {
    return { user };
  }
}

@UseGuards(SchemeGuard('HTTPBearer'))
@Controller('tokens')
class TokensController {
  @Get()
  token(@CurrentUser('sub') sub: unknown) {
    return { sub };
  }

  @Security(apiKey)
  @Get('or-key')
  orKey(@CurrentUser('sub') sub: unknown) {
    return { sub };
  }
}

/** Uses the plain SecurityGuard: it enforces whatever @Security declares. */
@UseGuards(SecurityGuard)
@Controller('plain')
class PlainGuardController {
  @Security(apiKey)
  @Get()
  plain(@CurrentUser('sub') sub: unknown) {
    return { sub };
  }
}

/** Declares security but runs no security guard when the global guard is off. */
@Controller('unguarded')
class UnguardedController {
  @Security(apiKey)
  @Get()
  unguarded() {
    return { reached: true };
  }
}

const SCHEMES = [
  { scheme: apiKey, validator: CountingValidator },
  { scheme: httpBearer, validator: CountingValidator },
];

describe.each(PLATFORMS)('SchemeGuard with @UseGuards (%s)', (platform) => {
  describe('without the global guard', () => {
    let t: TestApp;
    const get = (path: string, headers: Record<string, string> = {}) => t.http.get(path).set(headers).then(outcome);

    beforeAll(async () => {
      t = await createTestApp(platform, {
        imports: [SecuritySchemesModule.forRoot({ schemes: SCHEMES, globalGuard: false })],
        providers: [CountingValidator],
        controllers: [KeysController, TokensController, PlainGuardController],
      });
    });
    afterAll(() => t.close());

    it('enforces the scheme and scopes it declares on a handler', async () => {
      expect(await get('/keys/read')).toEqual(unauthorized('APIKey'));
      expect(await get('/keys/read', { 'X-API-Key': token('svc') })).toEqual(forbidden('read'));
      expect(await get('/keys/read', { 'X-API-Key': token('svc', ['read']) })).toEqual(ok({ sub: 'svc', scopes: ['read'] }));
    });

    it('leaves routes without a guard open', async () => {
      expect(await get('/keys/open')).toEqual(ok({ user: null }));
    });

    it('enforces @Security under @UseGuards(SecurityGuard)', async () => {
      expect(await get('/plain')).toEqual(unauthorized('APIKey'));
      expect(await get('/plain', { 'X-API-Key': token('svc') })).toEqual(ok({ sub: 'svc' }));
    });

    it('refuses to start when @Security on some route is enforced by no guard, naming only that route', async () => {
      await expect(
        createTestApp(platform, {
          imports: [SecuritySchemesModule.forRoot({ schemes: SCHEMES, globalGuard: false })],
          providers: [CountingValidator],
          controllers: [KeysController, TokensController, PlainGuardController, UnguardedController],
        }),
      ).rejects.toThrow(
        new Error(
          'SecuritySchemesModule: UnguardedController.unguarded declare security but no security guard runs on them (globalGuard is off): ' +
            'register SecurityGuard as a global guard ({ provide: APP_GUARD, useExisting: SecurityGuard } or ' +
            'app.useGlobalGuards(app.get(SecurityGuard))) or add @UseGuards(SecurityGuard) to their controllers. ' +
            'If the application enforces these requirements another way, set allowUnguardedRoutes: true.',
        ),
      );
    });

    it('with allowUnguardedRoutes, starts and warns about that route only', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      try {
        const other = await createTestApp(platform, {
          imports: [SecuritySchemesModule.forRoot({ schemes: SCHEMES, globalGuard: false, allowUnguardedRoutes: true })],
          providers: [CountingValidator],
          controllers: [KeysController, TokensController, PlainGuardController, UnguardedController],
        });
        await other.close();
        expect(warn.mock.calls.map((call) => call[0])).toEqual([
          'UnguardedController.unguarded declares security but no security guard runs on it (globalGuard is off); started because ' +
            'allowUnguardedRoutes is set: the application must enforce it another way.',
        ]);
      } finally {
        warn.mockRestore();
      }
    });

    it('enforces a scheme named on a controller AND the handler requirement', async () => {
      expect(await get('/tokens')).toEqual(unauthorized('Bearer'));
      expect(await get('/tokens', bearer('ann'))).toEqual(ok({ sub: 'ann' }));
      expect(await get('/tokens/or-key')).toEqual(unauthorized('Bearer'));
      expect(await get('/tokens/or-key', { 'X-API-Key': token('svc') })).toEqual(unauthorized('Bearer'));
      expect(await get('/tokens/or-key', bearer('ann'))).toEqual(unauthorized('APIKey'));
      expect(await get('/tokens/or-key', { 'X-API-Key': token('svc'), ...bearer('ann') })).toEqual(ok({ sub: 'ann' }));
    });

    it('documents what the guards declare', () => {
      const document = buildDocument(t.app);
      expect(Object.keys(document.components?.securitySchemes ?? {})).toEqual(['APIKeyHeader', 'HTTPBearer']);
      expect(securityByOperation(document)).toStrictEqual({
        'GET /keys/read': [{ APIKeyHeader: ['read'] }],
        'GET /keys/open': null,
        'GET /tokens': [{ HTTPBearer: [] }],
        'GET /tokens/or-key': [{ HTTPBearer: [], APIKeyHeader: [] }],
        'GET /plain': [{ APIKeyHeader: [] }],
      });
    });

    it('enforces what it documents', async () => {
      await expectAgreement(t, {
        credentials: {
          APIKeyHeader: (scopes) => ({ headers: { 'X-API-Key': token('svc', scopes) } }),
          HTTPBearer: { headers: bearer('ann') },
        },
      });
    });
  });

  describe('with the global guard as well', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp(platform, {
        imports: [SecuritySchemesModule.forRoot({ schemes: SCHEMES })],
        providers: [CountingValidator],
        controllers: [KeysController, TokensController],
      });
    });
    afterAll(() => t.close());

    it('authenticates each request once', async () => {
      const validator = t.app.get(CountingValidator);
      const before = validator.calls;
      expect(outcome(await t.http.get('/keys/read').set('X-API-Key', token('svc', ['read'])))).toEqual(
        ok({ sub: 'svc', scopes: ['read'] }),
      );
      expect(outcome(await t.http.get('/tokens').set(bearer('ann')))).toEqual(ok({ sub: 'ann' }));
      expect(validator.calls - before).toBe(2);
    });

    it('enforces what it documents', async () => {
      await expectAgreement(t, {
        credentials: {
          APIKeyHeader: (scopes) => ({ headers: { 'X-API-Key': token('svc', scopes) } }),
          HTTPBearer: { headers: bearer('ann') },
        },
      });
    });
  });
});
