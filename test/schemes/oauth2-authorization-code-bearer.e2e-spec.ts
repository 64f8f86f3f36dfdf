import { Controller, Get, Injectable } from '@nestjs/common';
import {
  CurrentUser,
  OAuth2AuthorizationCodeBearer,
  Security,
  SecuritySchemesModule,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { forbidden, ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const code = new OAuth2AuthorizationCodeBearer({
  authorizationUrl: 'https://id.example.com/authorize?prompt=login',
  tokenUrl: 'https://id.example.com/token',
  refreshUrl: 'https://id.example.com/refresh',
  scopes: { openid: 'Sign in', email: 'Read your e-mail address' },
  description: 'Authorization code flow',
});
// validatedBy: 'handler' (no validator): the principal is the bearer token itself.
const optionalCode = new OAuth2AuthorizationCodeBearer({
  authorizationUrl: '/authorize',
  tokenUrl: '/token',
  schemeName: 'OptionalCode',
  autoError: false,
});

/** `<sub>:<scope>` tokens; the granted scopes come back as an OAuth2 `scope` string. */
@Injectable()
class CodeTokenValidator implements SecurityValidator<string> {
  validate(token: string) {
    const [sub, scope = ''] = token.split(':');
    return { sub, scope };
  }
}

@Controller()
class ProfileController {
  @Security(code, ['openid', 'email'])
  @Get('required')
  required(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(optionalCode)
  @Get('optional')
  optional(@CurrentUser() user: unknown) {
    return { user };
  }
}

/** Authorization values that carry no bearer token. */
const NOT_A_TOKEN: [string, string][] = [
  ['Bearer alone', 'Bearer'],
  ['Bearer and blanks', 'Bearer   '],
  ['another scheme', 'Digest abc'],
  ['a tab instead of a space', 'Bearer\tabc'],
];

describe.each(PLATFORMS)('OAuth2AuthorizationCodeBearer (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, authorization?: string) =>
    (authorization === undefined ? t.http.get(path) : t.http.get(path).set('Authorization', authorization)).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: code, validator: CodeTokenValidator },
            { scheme: optionalCode, validatedBy: 'handler' },
          ],
        }),
      ],
      providers: [CodeTokenValidator],
      controllers: [ProfileController],
    });
  });
  afterAll(() => t.close());

  describe('autoError: true', () => {
    it('passes the token to the validator', async () => {
      expect(await get('/required', 'Bearer ann:openid email')).toEqual(
        ok({ user: { sub: 'ann', scope: 'openid email' } }),
      );
    });

    it('answers 403 when the token lacks a required scope', async () => {
      expect(await get('/required', 'Bearer ann:openid')).toEqual(forbidden('openid email'));
    });

    it('answers 401 Bearer without the header', async () => {
      expect(await get('/required')).toEqual(unauthorized('Bearer'));
    });

    it.each(NOT_A_TOKEN)('answers 401 Bearer for %s', async (_case, authorization) => {
      expect(await get('/required', authorization)).toEqual(unauthorized('Bearer'));
    });
  });

  describe('autoError: false', () => {
    it('returns the bearer token, trimmed', async () => {
      expect(await get('/optional', 'Bearer abc')).toEqual(ok({ user: 'abc' }));
      expect(await get('/optional', 'bearer    abc   ')).toEqual(ok({ user: 'abc' }));
    });

    it('runs the handler with a null user without the header', async () => {
      expect(await get('/optional')).toEqual(ok({ user: null }));
    });

    it.each(NOT_A_TOKEN)('runs the handler with a null user for %s', async (_case, authorization) => {
      expect(await get('/optional', authorization)).toEqual(ok({ user: null }));
    });
  });

  it('documents the authorizationCode flow with its URLs exactly as given', () => {
    const document = buildDocument(t.app);
    expect(document.components?.securitySchemes).toStrictEqual({
      OAuth2AuthorizationCodeBearer: {
        type: 'oauth2',
        description: 'Authorization code flow',
        flows: {
          authorizationCode: {
            authorizationUrl: 'https://id.example.com/authorize?prompt=login',
            tokenUrl: 'https://id.example.com/token',
            refreshUrl: 'https://id.example.com/refresh',
            scopes: { openid: 'Sign in', email: 'Read your e-mail address' },
          },
        },
      },
      OptionalCode: {
        type: 'oauth2',
        flows: { authorizationCode: { authorizationUrl: '/authorize', tokenUrl: '/token', scopes: {} } },
      },
    });
    expect(securityByOperation(document)).toStrictEqual({
      'GET /required': [{ OAuth2AuthorizationCodeBearer: ['openid', 'email'] }],
      'GET /optional': [{ OptionalCode: [] }, {}],
    });
  });
});
