import { Controller, Get } from '@nestjs/common';
import { APIKeyCookie, CurrentUser, Security, SecuritySchemesModule } from 'nestjs-security-schemes';
import { ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

// No validator: the principal is the key itself, so responses show exactly what was extracted.
const sessionCookie = new APIKeyCookie({ name: 'session' });
const optionalCookie = new APIKeyCookie({
  name: 'session',
  schemeName: 'OptionalSession',
  description: 'Session cookie, optional',
  autoError: false,
});

@Controller()
class CookieController {
  @Security(sessionCookie)
  @Get('required')
  required(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(optionalCookie)
  @Get('optional')
  optional(@CurrentUser() user: unknown) {
    return { user };
  }
}

describe.each(PLATFORMS)('APIKeyCookie (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, cookie?: string) =>
    (cookie === undefined ? t.http.get(path) : t.http.get(path).set('Cookie', cookie)).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: [sessionCookie, optionalCookie] })],
      controllers: [CookieController],
    });
  });
  afterAll(() => t.close());

  describe('autoError: true', () => {
    it('returns the cookie value as sent, without cookie middleware', async () => {
      expect(await get('/required', 'session=s3cr%3Dt')).toEqual(ok({ user: 's3cr%3Dt' }));
      expect(await get('/required', 'theme=dark; session=abc; lang=en')).toEqual(ok({ user: 'abc' }));
    });

    it('finds the exact name, not a longer one that ends with it', async () => {
      expect(await get('/required', 'xsession=wrong; session=right')).toEqual(ok({ user: 'right' }));
      expect(await get('/required', 'session_id=wrong;session=right')).toEqual(ok({ user: 'right' }));
    });

    it('drops the double quotes RFC 6265 allows around a value', async () => {
      expect(await get('/required', 'session="quoted"')).toEqual(ok({ user: 'quoted' }));
    });

    it('answers 401 APIKey without the cookie', async () => {
      expect(await get('/required')).toEqual(unauthorized('APIKey'));
      expect(await get('/required', 'theme=dark')).toEqual(unauthorized('APIKey'));
    });

    it('treats an empty value as missing', async () => {
      expect(await get('/required', 'session=')).toEqual(unauthorized('APIKey'));
      expect(await get('/required', 'session=; theme=dark')).toEqual(unauthorized('APIKey'));
    });

    it('matches the cookie name case-sensitively', async () => {
      expect(await get('/required', 'Session=abc')).toEqual(unauthorized('APIKey'));
      expect(await get('/required', 'SESSION=abc')).toEqual(unauthorized('APIKey'));
    });

    it('ignores a malformed cookie and the key in a header or the query', async () => {
      expect(await get('/required', 'session')).toEqual(unauthorized('APIKey'));
      expect(await t.http.get('/required?session=abc').then(outcome)).toEqual(unauthorized('APIKey'));
      expect(await t.http.get('/required').set('session', 'abc').then(outcome)).toEqual(unauthorized('APIKey'));
    });
  });

  describe('autoError: false', () => {
    it('runs the handler with a null user when the cookie is missing, empty or misnamed', async () => {
      expect(await get('/optional')).toEqual(ok({ user: null }));
      expect(await get('/optional', 'session=')).toEqual(ok({ user: null }));
      expect(await get('/optional', 'Session=abc')).toEqual(ok({ user: null }));
    });

    it('returns a cookie that is sent', async () => {
      expect(await get('/optional', 'session=abc')).toEqual(ok({ user: 'abc' }));
    });
  });

  it('documents the scheme and each operation', () => {
    const document = buildDocument(t.app);
    expect(document.components?.securitySchemes).toStrictEqual({
      APIKeyCookie: { type: 'apiKey', in: 'cookie', name: 'session' },
      OptionalSession: { type: 'apiKey', in: 'cookie', name: 'session', description: 'Session cookie, optional' },
    });
    expect(securityByOperation(document)).toStrictEqual({
      'GET /required': [{ APIKeyCookie: [] }],
      'GET /optional': [{ OptionalSession: [] }, {}],
    });
  });
});
