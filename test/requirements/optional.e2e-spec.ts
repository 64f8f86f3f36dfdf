import { Controller, Get } from '@nestjs/common';
import {
  APIKeyHeader,
  CurrentCredentials,
  CurrentScopes,
  CurrentUser,
  HTTPBearer,
  Security,
  SecuritySchemesModule,
  type SecurityScopes,
} from 'nestjs-security-schemes';
import { expectAgreement } from '../openapi/agreement';
import { forbidden, ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { bearer, token, TokenValidator } from '../utils/tokens';

const optionalKey = new APIKeyHeader({ name: 'X-API-Key', schemeName: 'OptionalKey', autoError: false });
const optionalBearer = new HTTPBearer({ schemeName: 'OptionalBearer', autoError: false });
const requiredBearer = new HTTPBearer();

@Controller('optional')
class OptionalController {
  @Security(optionalKey)
  @Security(optionalBearer)
  @Get('any')
  any(@CurrentUser() user: unknown, @CurrentCredentials() credentials: unknown) {
    return { user, credentials };
  }

  @Security(optionalBearer, ['read'])
  @Get('scoped')
  scoped(@CurrentUser() user: unknown, @CurrentScopes() scopes: SecurityScopes) {
    return { user, scopes: scopes.scopes };
  }

  @Security(optionalKey)
  @Security(requiredBearer)
  @Get('mixed')
  mixed(@CurrentUser() user: unknown) {
    return { user };
  }
}

@Controller('declared')
class DeclaredOptionalController {
  @Security(requiredBearer, ['read'], { optional: true })
  @Get('maybe')
  maybe(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(requiredBearer)
  @Get('required')
  required(@CurrentUser() user: unknown) {
    return { user };
  }
}

@Security(requiredBearer)
@Controller('required-class')
class RequiredClassController {
  @Security(requiredBearer, { scopes: ['read'], optional: true })
  @Get('maybe')
  maybe(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(optionalKey)
  @Get('key-maybe')
  keyMaybe(@CurrentUser() user: unknown) {
    return { user };
  }
}

describe.each(PLATFORMS)('optional authentication (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, headers: Record<string, string> = {}) => t.http.get(path).set(headers).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: optionalKey, validator: TokenValidator },
            { scheme: optionalBearer, validator: TokenValidator },
            { scheme: requiredBearer, validator: TokenValidator },
          ],
        }),
      ],
      providers: [TokenValidator],
      controllers: [OptionalController, DeclaredOptionalController, RequiredClassController],
    });
  });
  afterAll(() => t.close());

  it('runs the handler with a null user when every alternative is autoError: false and nothing is sent', async () => {
    expect(await get('/optional/any')).toEqual(ok({ user: null, credentials: null }));
  });

  it('authenticates with whichever alternative is sent', async () => {
    expect(await get('/optional/any', { 'X-API-Key': token('svc') })).toEqual(
      ok({ user: { sub: 'svc', scopes: [], required: [] }, credentials: 'svc;' }),
    );
    expect(await get('/optional/any', bearer('ann'))).toEqual(
      ok({ user: { sub: 'ann', scopes: [], required: [] }, credentials: { scheme: 'Bearer', credentials: 'ann;' } }),
    );
  });

  it('answers 401 for credentials that are sent but rejected', async () => {
    expect(await get('/optional/any', { 'X-API-Key': token('rejected') })).toEqual(unauthorized('APIKey'));
    expect(await get('/optional/any', bearer('rejected'))).toEqual(unauthorized('Bearer'));
  });

  it('still requires the scopes of credentials that are sent', async () => {
    expect(await get('/optional/scoped')).toEqual(ok({ user: null, scopes: ['read'] }));
    expect(await get('/optional/scoped', bearer('ann'))).toEqual(forbidden('read'));
    expect(await get('/optional/scoped', bearer('ann', ['read']))).toEqual(
      ok({ user: { sub: 'ann', scopes: ['read'], required: ['read'] }, scopes: ['read'] }),
    );
  });

  it('lets anonymous requests in when one alternative is optional (OR), and still checks what is sent', async () => {
    expect(await get('/optional/mixed')).toEqual(ok({ user: null }));
    expect(await get('/optional/mixed', { 'X-API-Key': token('svc') })).toEqual(
      ok({ user: { sub: 'svc', scopes: [], required: [] } }),
    );
    expect(await get('/optional/mixed', bearer('ann'))).toEqual(ok({ user: { sub: 'ann', scopes: [], required: [] } }));
    expect(await get('/optional/mixed', bearer('rejected'))).toEqual(unauthorized('Bearer'));
  });

  it('makes one scheme instance optional where it is declared: { optional: true }', async () => {
    expect(await get('/declared/maybe')).toEqual(ok({ user: null }));
    expect(await get('/declared/maybe', bearer('ann', ['read']))).toEqual(
      ok({ user: { sub: 'ann', scopes: ['read'], required: ['read'] } }),
    );
    expect(await get('/declared/maybe', bearer('ann'))).toEqual(forbidden('read'));
    expect(await get('/declared/maybe', bearer('rejected'))).toEqual(unauthorized('Bearer'));
    expect(await get('/declared/required')).toEqual(unauthorized('Bearer'));
  });

  it('is required when an optional level is combined with a required level (AND)', async () => {
    expect(await get('/required-class/maybe')).toEqual(unauthorized('Bearer'));
    expect(await get('/required-class/maybe', bearer('ann', ['read']))).toEqual(
      ok({ user: { sub: 'ann', scopes: ['read'], required: ['read'] } }),
    );
    expect(await get('/required-class/key-maybe')).toEqual(unauthorized('Bearer'));
    expect(await get('/required-class/key-maybe', bearer('ann'))).toEqual(ok({ user: { sub: 'ann', scopes: [], required: [] } }));
    expect(await get('/required-class/key-maybe', { ...bearer('ann'), 'X-API-Key': token('rejected') })).toEqual(
      unauthorized('APIKey'),
    );
  });

  it('documents optional operations with a trailing {}', () => {
    expect(securityByOperation(buildDocument(t.app))).toStrictEqual({
      'GET /optional/any': [{ OptionalKey: [] }, { OptionalBearer: [] }, {}],
      'GET /optional/scoped': [{ OptionalBearer: ['read'] }, {}],
      'GET /optional/mixed': [{ OptionalKey: [] }, { HTTPBearer: [] }, {}],
      'GET /declared/maybe': [{ HTTPBearer: ['read'] }, {}],
      'GET /declared/required': [{ HTTPBearer: [] }],
      'GET /required-class/maybe': [{ HTTPBearer: ['read'] }],
      'GET /required-class/key-maybe': [{ HTTPBearer: [], OptionalKey: [] }, { HTTPBearer: [] }],
    });
  });

  it('enforces what it documents', async () => {
    await expectAgreement(t, {
      credentials: {
        OptionalKey: { headers: { 'X-API-Key': token('svc') } },
        OptionalBearer: (scopes) => ({ headers: bearer('ann', scopes) }),
        HTTPBearer: (scopes) => ({ headers: bearer('ann', scopes) }),
      },
      isAnonymous: (response) => response.body.user === null,
    });
  });
});
