import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get } from '@nestjs/common';
import {
  APIKeyHeader,
  CurrentUser,
  HTTPBasic,
  HTTPBearer,
  OAuth2PasswordBearer,
  Security,
  SecuritySchemesModule,
  type HTTPBasicCredentials,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { expectAgreement } from '../openapi/agreement';
import { basic, forbidden, ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { bearer, token, TokenValidator } from '../utils/tokens';

const apiKey = new APIKeyHeader({ name: 'X-API-Key' });
const httpBearer = new HTTPBearer();
const password = new OAuth2PasswordBearer({ tokenUrl: 'token' });
const httpBasic = new HTTPBasic({ realm: 'api' });

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** bob's password only, compared in constant time. */
const basicValidator: SecurityValidator<HTTPBasicCredentials> = {
  validate: ({ username, password }) =>
    timingSafeEqual(sha256(`${username}:${password}`), sha256('bob:pw')) ? { username } : null,
};

@Controller('alt')
class AlternativesController {
  @Security(apiKey)
  @Security(httpBearer)
  @Get('key-or-token')
  keyOrToken(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(httpBearer)
  @Security(apiKey)
  @Get('token-or-key')
  tokenOrKey(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(httpBearer, ['admin'])
  @Security(apiKey)
  @Get('admin-token-or-key')
  adminTokenOrKey(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(httpBasic)
  @Security(apiKey)
  @Get('basic-or-key')
  basicOrKey(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(httpBearer)
  @Security(password)
  @Get('two-bearers')
  twoBearers(@CurrentUser() user: unknown) {
    return { user };
  }
}

@Security(httpBearer)
@Controller('levels')
class LevelsController {
  @Security(apiKey)
  @Get()
  both(@CurrentUser() user: unknown) {
    return { user };
  }
}

const KEY = { 'X-API-Key': token('svc') };
const TOKEN = bearer('ann');
const SVC = { sub: 'svc', scopes: [], required: [] };
const ANN = { sub: 'ann', scopes: [], required: [] };

describe.each(PLATFORMS)('alternatives: several @Security (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, headers: Record<string, string> = {}) => t.http.get(path).set(headers).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: apiKey, validator: TokenValidator },
            { scheme: httpBearer, validator: TokenValidator },
            { scheme: password, validator: TokenValidator },
            { scheme: httpBasic, validator: basicValidator },
          ],
        }),
      ],
      providers: [TokenValidator],
      controllers: [AlternativesController, LevelsController],
    });
  });
  afterAll(() => t.close());

  it('accepts any one alternative', async () => {
    expect(await get('/alt/key-or-token', KEY)).toEqual(ok({ user: SVC }));
    expect(await get('/alt/key-or-token', TOKEN)).toEqual(ok({ user: ANN }));
    expect(await get('/alt/basic-or-key', { Authorization: basic('bob', 'pw') })).toEqual(ok({ user: { username: 'bob' } }));
  });

  it('tries alternatives in declaration order: the first that authenticates wins', async () => {
    expect(await get('/alt/key-or-token', { ...KEY, ...TOKEN })).toEqual(ok({ user: SVC }));
    expect(await get('/alt/token-or-key', { ...KEY, ...TOKEN })).toEqual(ok({ user: ANN }));
  });

  it('requires the controller level AND the handler level: a handler @Security never opens a second door', async () => {
    expect(await get('/levels', KEY)).toEqual(unauthorized('Bearer'));
    expect(await get('/levels', TOKEN)).toEqual(unauthorized('APIKey'));
    expect(await get('/levels', { ...KEY, ...TOKEN })).toEqual(ok({ user: ANN }));
    expect(await get('/levels')).toEqual(unauthorized('Bearer'));
  });

  it('sends every challenge, in order, in one header when nothing is sent', async () => {
    expect(await get('/alt/key-or-token')).toEqual(unauthorized('APIKey, Bearer'));
    expect(await get('/alt/token-or-key')).toEqual(unauthorized('Bearer, APIKey'));
    expect(await get('/alt/basic-or-key')).toEqual(unauthorized('Basic realm="api", APIKey'));
  });

  it('sends a challenge shared by two alternatives once', async () => {
    expect(await get('/alt/two-bearers')).toEqual(unauthorized('Bearer'));
  });

  it('falls through a rejected alternative to a valid one', async () => {
    expect(await get('/alt/key-or-token', { 'X-API-Key': token('rejected'), ...TOKEN })).toEqual(ok({ user: ANN }));
    expect(await get('/alt/basic-or-key', { Authorization: 'Basic !!!', ...KEY })).toEqual(ok({ user: SVC }));
    expect(await get('/alt/basic-or-key', { Authorization: basic('bob', 'wrong'), ...KEY })).toEqual(ok({ user: SVC }));
    expect(await get('/alt/admin-token-or-key', { ...TOKEN, ...KEY })).toEqual(ok({ user: SVC }));
  });

  it('answers with the first rejection when no alternative passes', async () => {
    expect(await get('/alt/key-or-token', { 'X-API-Key': token('rejected') })).toEqual(unauthorized('APIKey'));
    expect(await get('/alt/key-or-token', { 'X-API-Key': token('rejected'), ...bearer('rejected') })).toEqual(
      unauthorized('APIKey'),
    );
    expect(await get('/alt/basic-or-key', { Authorization: 'Basic !!!' })).toEqual(unauthorized('Basic realm="api"'));
    expect(await get('/alt/basic-or-key', { Authorization: basic('bob', 'wrong') })).toEqual(unauthorized('Basic realm="api"'));
    expect(await get('/alt/admin-token-or-key', TOKEN)).toEqual(forbidden('admin'));
  });

  it('documents one requirement object per alternative, in order', () => {
    expect(securityByOperation(buildDocument(t.app))).toStrictEqual({
      'GET /alt/key-or-token': [{ APIKeyHeader: [] }, { HTTPBearer: [] }],
      'GET /alt/token-or-key': [{ HTTPBearer: [] }, { APIKeyHeader: [] }],
      'GET /alt/admin-token-or-key': [{ HTTPBearer: ['admin'] }, { APIKeyHeader: [] }],
      'GET /alt/basic-or-key': [{ HTTPBasic: [] }, { APIKeyHeader: [] }],
      'GET /alt/two-bearers': [{ HTTPBearer: [] }, { OAuth2PasswordBearer: [] }],
      'GET /levels': [{ HTTPBearer: [], APIKeyHeader: [] }],
    });
  });

  it('enforces what it documents', async () => {
    await expectAgreement(t, {
      credentials: {
        APIKeyHeader: { headers: KEY },
        HTTPBearer: (scopes) => ({ headers: bearer('ann', scopes) }),
        OAuth2PasswordBearer: { headers: TOKEN },
        HTTPBasic: { headers: { Authorization: basic('bob', 'pw') } },
      },
    });
  });
});
