import { Controller, Get } from '@nestjs/common';
import { CurrentUser, OAuth2, Security, SecuritySchemesModule } from 'nestjs-security-schemes';
import { ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

// validatedBy: 'handler' (no validator): the principal is what the scheme extracts, the raw Authorization value (as in FastAPI).
const oauth2 = new OAuth2({
  description: 'Several flows',
  flows: {
    clientCredentials: { tokenUrl: 'https://auth.example.com/oauth/token?aud=api' },
    implicit: { authorizationUrl: '/oauth/authorize', scopes: { profile: 'Read your profile' } },
  },
});
const optionalOAuth2 = new OAuth2({ schemeName: 'OptionalOAuth2', autoError: false });

@Controller()
class OAuth2Controller {
  @Security(oauth2)
  @Get('required')
  required(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(optionalOAuth2)
  @Get('optional')
  optional(@CurrentUser() user: unknown) {
    return { user };
  }
}

describe.each(PLATFORMS)('OAuth2 (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, authorization?: string) =>
    (authorization === undefined ? t.http.get(path) : t.http.get(path).set('Authorization', authorization)).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: oauth2, validatedBy: 'handler' },
            { scheme: optionalOAuth2, validatedBy: 'handler' },
          ],
        }),
      ],
      controllers: [OAuth2Controller],
    });
  });
  afterAll(() => t.close());

  describe('autoError: true', () => {
    it('returns the raw Authorization value, whatever its scheme', async () => {
      expect(await get('/required', 'Bearer abc')).toEqual(ok({ user: 'Bearer abc' }));
      expect(await get('/required', 'Basic YTpi')).toEqual(ok({ user: 'Basic YTpi' }));
      expect(await get('/required', 'Bearer')).toEqual(ok({ user: 'Bearer' }));
    });

    it('answers 401 Bearer without the header', async () => {
      expect(await get('/required')).toEqual(unauthorized('Bearer'));
    });

    it('treats an empty or blank header as missing', async () => {
      expect(await get('/required', '')).toEqual(unauthorized('Bearer'));
      expect(await get('/required', '   ')).toEqual(unauthorized('Bearer'));
    });

    it('ignores a token in the query string', async () => {
      expect(await t.http.get('/required?access_token=abc').then(outcome)).toEqual(unauthorized('Bearer'));
    });
  });

  describe('autoError: false', () => {
    it('runs the handler with a null user without a header or with an empty one', async () => {
      expect(await get('/optional')).toEqual(ok({ user: null }));
      expect(await get('/optional', '')).toEqual(ok({ user: null }));
    });

    it('returns the raw value that is sent', async () => {
      expect(await get('/optional', 'Token xyz')).toEqual(ok({ user: 'Token xyz' }));
    });
  });

  it('documents the flows, with scopes: {} where a flow has none', () => {
    const document = buildDocument(t.app);
    expect(document.components?.securitySchemes).toStrictEqual({
      OAuth2: {
        type: 'oauth2',
        description: 'Several flows',
        flows: {
          clientCredentials: { tokenUrl: 'https://auth.example.com/oauth/token?aud=api', scopes: {} },
          implicit: { authorizationUrl: '/oauth/authorize', scopes: { profile: 'Read your profile' } },
        },
      },
      OptionalOAuth2: { type: 'oauth2', flows: {} },
    });
    expect(securityByOperation(document)).toStrictEqual({
      'GET /required': [{ OAuth2: [] }],
      'GET /optional': [{ OptionalOAuth2: [] }, {}],
    });
  });
});
