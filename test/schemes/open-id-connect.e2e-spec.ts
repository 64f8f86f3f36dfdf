import { Controller, Get } from '@nestjs/common';
import { CurrentUser, OpenIdConnect, Security, SecuritySchemesModule } from 'nestjs-security-schemes';
import { ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

// validatedBy: 'handler' (no validator): the principal is the raw Authorization value (as in FastAPI).
const oidc = new OpenIdConnect({
  openIdConnectUrl: 'https://id.example.com/.well-known/openid-configuration',
  description: 'Company sign-in',
});
const optionalOidc = new OpenIdConnect({
  openIdConnectUrl: '/.well-known/openid-configuration',
  schemeName: 'OptionalOidc',
  autoError: false,
});

@Controller()
class OidcController {
  @Security(oidc)
  @Get('required')
  required(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(optionalOidc)
  @Get('optional')
  optional(@CurrentUser() user: unknown) {
    return { user };
  }
}

describe.each(PLATFORMS)('OpenIdConnect (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, authorization?: string) =>
    (authorization === undefined ? t.http.get(path) : t.http.get(path).set('Authorization', authorization)).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: oidc, validatedBy: 'handler' },
            { scheme: optionalOidc, validatedBy: 'handler' },
          ],
        }),
      ],
      controllers: [OidcController],
    });
  });
  afterAll(() => t.close());

  describe('autoError: true', () => {
    it('returns the raw Authorization value, whatever its scheme', async () => {
      expect(await get('/required', 'Bearer id.token.sig')).toEqual(ok({ user: 'Bearer id.token.sig' }));
      expect(await get('/required', 'Basic YTpi')).toEqual(ok({ user: 'Basic YTpi' }));
    });

    it('answers 401 Bearer without the header', async () => {
      expect(await get('/required')).toEqual(unauthorized('Bearer'));
    });

    it('treats an empty or blank header as missing', async () => {
      expect(await get('/required', '')).toEqual(unauthorized('Bearer'));
      expect(await get('/required', '    ')).toEqual(unauthorized('Bearer'));
    });
  });

  describe('autoError: false', () => {
    it('runs the handler with a null user without a header or with an empty one', async () => {
      expect(await get('/optional')).toEqual(ok({ user: null }));
      expect(await get('/optional', '')).toEqual(ok({ user: null }));
    });

    it('returns the raw value that is sent', async () => {
      expect(await get('/optional', 'bearer abc')).toEqual(ok({ user: 'bearer abc' }));
    });
  });

  it('documents the discovery URL exactly as given', () => {
    const document = buildDocument(t.app);
    expect(document.components?.securitySchemes).toStrictEqual({
      OpenIdConnect: {
        type: 'openIdConnect',
        openIdConnectUrl: 'https://id.example.com/.well-known/openid-configuration',
        description: 'Company sign-in',
      },
      OptionalOidc: { type: 'openIdConnect', openIdConnectUrl: '/.well-known/openid-configuration' },
    });
    expect(securityByOperation(document)).toStrictEqual({
      'GET /required': [{ OpenIdConnect: [] }],
      'GET /optional': [{ OptionalOidc: [] }, {}],
    });
  });
});
