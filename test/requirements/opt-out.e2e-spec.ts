import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get } from '@nestjs/common';
import {
  APIKeyCookie,
  APIKeyHeader,
  CurrentUser,
  HTTPBearer,
  Security,
  SecuritySchemesModule,
  SkipSecurity,
  type HTTPAuthorizationCredentials,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { expectAgreement } from '../openapi/agreement';
import { ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const apiKey = new APIKeyHeader({ name: 'X-API-Key' });
const httpBearer = new HTTPBearer();
const session = new APIKeyCookie({ name: 'session' });

@Security(httpBearer)
@Controller('a')
class SecuredController {
  @Get('inherited')
  inherited(@CurrentUser() user: unknown) {
    return { user };
  }

  @SkipSecurity()
  @Get('public')
  public() {
    return { public: true };
  }

  @SkipSecurity()
  @Security(session)
  @Get('own')
  own(@CurrentUser() user: unknown) {
    return { user };
  }

  /** "This route also accepts an API key" is written explicitly. */
  @SkipSecurity()
  @Security(httpBearer)
  @Security(apiKey)
  @Get('either')
  either(@CurrentUser() user: unknown) {
    return { user };
  }
}

@SkipSecurity()
@Controller('b')
class PublicController {
  @Get('open')
  open(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(httpBearer)
  @Get('token')
  token(@CurrentUser() user: unknown) {
    return { user };
  }
}

@SkipSecurity()
@Security(session)
@Controller('c')
class CookieOnlyController {
  @Get()
  cookie(@CurrentUser() user: unknown) {
    return { user };
  }
}

const TOKEN = { Authorization: 'Bearer t1' };
const KEY = { 'X-API-Key': 'k1' };
const COOKIE = { Cookie: 'session=s1' };

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();
const same = (value: string, expected: string) => timingSafeEqual(sha256(value), sha256(expected));

// Each scheme accepts the one credential above; the principal is the credentials themselves, so a
// response shows which scheme let the request in.
const keyValidator: SecurityValidator<string> = { validate: (key) => (same(key, 'k1') ? key : null) };
const tokenValidator: SecurityValidator<HTTPAuthorizationCredentials> = {
  validate: (credentials) => (same(credentials.credentials, 't1') ? credentials : null),
};
const sessionValidator: SecurityValidator<string> = { validate: (id) => (same(id, 's1') ? id : null) };

describe.each(PLATFORMS)('opting out: @SkipSecurity (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, headers: Record<string, string> = {}) => t.http.get(path).set(headers).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: apiKey, validator: keyValidator },
            { scheme: httpBearer, validator: tokenValidator },
            { scheme: session, validator: sessionValidator },
          ],
          defaultSecurity: [apiKey],
        }),
      ],
      controllers: [SecuredController, PublicController, CookieOnlyController],
    });
  });
  afterAll(() => t.close());

  it('requires the module default and the controller requirement without opt-out', async () => {
    expect(await get('/a/inherited')).toEqual(unauthorized('APIKey'));
    expect(await get('/a/inherited', KEY)).toEqual(unauthorized('Bearer'));
    expect(await get('/a/inherited', TOKEN)).toEqual(unauthorized('APIKey'));
    expect(await get('/a/inherited', { ...KEY, ...TOKEN })).toEqual(ok({ user: 'k1' }));
  });

  it('widens access only when a handler skips what it inherits and lists the alternatives itself', async () => {
    expect(await get('/a/either', KEY)).toEqual(ok({ user: 'k1' }));
    expect(await get('/a/either', TOKEN)).toEqual(ok({ user: { scheme: 'Bearer', credentials: 't1' } }));
    expect(await get('/a/either')).toEqual(unauthorized('Bearer, APIKey'));
  });

  it('opens a handler marked @SkipSecurity()', async () => {
    expect(await get('/a/public')).toEqual(ok({ public: true }));
  });

  it("keeps a skipped handler's own requirement only", async () => {
    expect(await get('/a/own')).toEqual(unauthorized('APIKey'));
    expect(await get('/a/own', { ...KEY, ...TOKEN })).toEqual(unauthorized('APIKey'));
    expect(await get('/a/own', COOKIE)).toEqual(ok({ user: 's1' }));
  });

  it('drops the module default for a controller marked @SkipSecurity()', async () => {
    expect(await get('/b/open')).toEqual(ok({ user: null }));
    expect(await get('/b/token')).toEqual(unauthorized('Bearer'));
    expect(await get('/b/token', KEY)).toEqual(unauthorized('Bearer'));
    expect(await get('/b/token', TOKEN)).toEqual(ok({ user: { scheme: 'Bearer', credentials: 't1' } }));
  });

  it("keeps a skipped controller's own requirement", async () => {
    expect(await get('/c', KEY)).toEqual(unauthorized('APIKey'));
    expect(await get('/c', COOKIE)).toEqual(ok({ user: 's1' }));
    expect(await get('/c', { Cookie: 'session=s2' })).toEqual(unauthorized('APIKey'));
  });

  it('documents opted-out operations as public: security: []', () => {
    expect(securityByOperation(buildDocument(t.app))).toStrictEqual({
      'GET /a/inherited': [{ APIKeyHeader: [], HTTPBearer: [] }],
      'GET /a/public': [],
      'GET /a/own': [{ APIKeyCookie: [] }],
      'GET /a/either': [{ HTTPBearer: [] }, { APIKeyHeader: [] }],
      'GET /b/open': [],
      'GET /b/token': [{ HTTPBearer: [] }],
      'GET /c': [{ APIKeyCookie: [] }],
    });
  });

  it('enforces what it documents', async () => {
    await expectAgreement(t, {
      credentials: { APIKeyHeader: { headers: KEY }, HTTPBearer: { headers: TOKEN }, APIKeyCookie: { cookies: { session: 's1' } } },
    });
  });
});
