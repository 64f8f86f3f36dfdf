import { Controller, Get } from '@nestjs/common';
import { APIKeyQuery, CurrentUser, Security, SecuritySchemesModule } from 'nestjs-security-schemes';
import { ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

// validatedBy: 'handler' (no validator): the principal is the key itself, so responses show exactly what was extracted.
const queryKey = new APIKeyQuery({ name: 'api_key', description: 'Key in the query string' });
const optionalKey = new APIKeyQuery({ name: 'api_key', schemeName: 'OptionalQueryKey', autoError: false });

@Controller()
class KeyController {
  @Security(queryKey)
  @Get('required')
  required(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(optionalKey)
  @Get('optional')
  optional(@CurrentUser() user: unknown) {
    return { user };
  }
}

describe.each(PLATFORMS)('APIKeyQuery (%s)', (platform) => {
  let t: TestApp;
  const get = (url: string, headers: Record<string, string> = {}) => t.http.get(url).set(headers).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: queryKey, validatedBy: 'handler' },
            { scheme: optionalKey, validatedBy: 'handler' },
          ],
        }),
      ],
      controllers: [KeyController],
    });
  });
  afterAll(() => t.close());

  describe('autoError: true', () => {
    it('returns the decoded value as sent', async () => {
      expect(await get('/required?api_key=abc123')).toEqual(ok({ user: 'abc123' }));
      expect(await get('/required?api_key=a%20b%2Bc%3D')).toEqual(ok({ user: 'a b+c=' }));
      expect(await get('/required?other=1&api_key=Key')).toEqual(ok({ user: 'Key' }));
    });

    it('takes the last value of a repeated parameter', async () => {
      expect(await get('/required?api_key=first&api_key=last')).toEqual(ok({ user: 'last' }));
    });

    it('answers 401 APIKey without the parameter', async () => {
      expect(await get('/required')).toEqual(unauthorized('APIKey'));
    });

    it('treats an empty value as missing', async () => {
      expect(await get('/required?api_key=')).toEqual(unauthorized('APIKey'));
      expect(await get('/required?api_key')).toEqual(unauthorized('APIKey'));
    });

    it('matches the parameter name case-sensitively', async () => {
      expect(await get('/required?API_KEY=abc')).toEqual(unauthorized('APIKey'));
      expect(await get('/required?Api_Key=abc')).toEqual(unauthorized('APIKey'));
    });

    it('ignores the key in a header or cookie, and a bracketed parameter', async () => {
      expect(await get('/required', { api_key: 'abc' })).toEqual(unauthorized('APIKey'));
      expect(await get('/required', { Cookie: 'api_key=abc' })).toEqual(unauthorized('APIKey'));
      expect(await get('/required?api_key[x]=abc')).toEqual(unauthorized('APIKey'));
    });
  });

  describe('autoError: false', () => {
    it('runs the handler with a null user when the parameter is missing or empty', async () => {
      expect(await get('/optional')).toEqual(ok({ user: null }));
      expect(await get('/optional?api_key=')).toEqual(ok({ user: null }));
      expect(await get('/optional?API_KEY=abc')).toEqual(ok({ user: null }));
    });

    it('returns a key that is sent', async () => {
      expect(await get('/optional?api_key=xyz')).toEqual(ok({ user: 'xyz' }));
    });
  });

  it('documents the scheme and each operation', () => {
    const document = buildDocument(t.app);
    expect(document.components?.securitySchemes).toStrictEqual({
      APIKeyQuery: { type: 'apiKey', in: 'query', name: 'api_key', description: 'Key in the query string' },
      OptionalQueryKey: { type: 'apiKey', in: 'query', name: 'api_key' },
    });
    expect(securityByOperation(document)).toStrictEqual({
      'GET /required': [{ APIKeyQuery: [] }],
      'GET /optional': [{ OptionalQueryKey: [] }, {}],
    });
  });
});
