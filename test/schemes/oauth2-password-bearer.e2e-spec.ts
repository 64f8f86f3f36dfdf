import { Controller, Get, Injectable } from '@nestjs/common';
import {
  CurrentScopes,
  CurrentUser,
  OAuth2PasswordBearer,
  Security,
  SecuritySchemesModule,
  type SecurityScopes,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const password = new OAuth2PasswordBearer({
  tokenUrl: 'auth/token',
  refreshUrl: 'https://auth.example.com/refresh',
  scopes: { 'items:read': 'Read items', 'items:write': 'Write items' },
  description: 'Password flow',
});
const optionalPassword = new OAuth2PasswordBearer({ tokenUrl: '/token', schemeName: 'OptionalPassword', autoError: false });

/** Every token but `revoked` is valid and grants `items:read`; the principal shows the token received. */
@Injectable()
class TokenValidator implements SecurityValidator<string> {
  validate(token: string) {
    return token === 'revoked' ? null : { token, scopes: ['items:read'] };
  }
}

@Controller()
class ItemsController {
  @Security(password, ['items:read'])
  @Get('items')
  items(@CurrentUser('token') token: unknown, @CurrentScopes() scopes: SecurityScopes) {
    return { token, required: scopes.scopes };
  }

  @Security(optionalPassword)
  @Get('optional')
  optional(@CurrentUser() user: unknown) {
    return { user };
  }
}

/** Authorization values that carry no bearer token (an empty token included, unlike FastAPI). */
const NOT_A_TOKEN: [string, string][] = [
  ['Bearer alone', 'Bearer'],
  ['Bearer and blanks', 'Bearer     '],
  ['another scheme', 'Basic YTpi'],
  ['the scheme word glued to the token', 'Bearerabc'],
];

describe.each(PLATFORMS)('OAuth2PasswordBearer (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, authorization?: string) =>
    (authorization === undefined ? t.http.get(path) : t.http.get(path).set('Authorization', authorization)).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [{ scheme: password, validator: TokenValidator }, { scheme: optionalPassword, validatedBy: 'handler' }],
        }),
      ],
      providers: [TokenValidator],
      controllers: [ItemsController],
    });
  });
  afterAll(() => t.close());

  describe('autoError: true', () => {
    it('returns the bearer token, trimmed, the scheme word in any case', async () => {
      expect(await get('/items', 'Bearer abc.def')).toEqual(ok({ token: 'abc.def', required: ['items:read'] }));
      expect(await get('/items', 'BEARER    tok  ')).toEqual(ok({ token: 'tok', required: ['items:read'] }));
    });

    it('answers 401 Bearer without the header', async () => {
      expect(await get('/items')).toEqual(unauthorized('Bearer'));
    });

    it.each(NOT_A_TOKEN)('answers 401 Bearer for %s', async (_case, authorization) => {
      expect(await get('/items', authorization)).toEqual(unauthorized('Bearer'));
    });

    it('answers 401 Bearer when the validator rejects the token', async () => {
      expect(await get('/items', 'Bearer revoked')).toEqual(unauthorized('Bearer'));
    });
  });

  describe('autoError: false', () => {
    it('runs the handler with a null user without the header', async () => {
      expect(await get('/optional')).toEqual(ok({ user: null }));
    });

    it.each(NOT_A_TOKEN)('runs the handler with a null user for %s', async (_case, authorization) => {
      expect(await get('/optional', authorization)).toEqual(ok({ user: null }));
    });

    it('returns a token that is sent', async () => {
      expect(await get('/optional', 'bearer xyz')).toEqual(ok({ user: 'xyz' }));
    });
  });

  it('documents the password flow, always with scopes, refreshUrl only when given', () => {
    const document = buildDocument(t.app);
    expect(document.components?.securitySchemes).toStrictEqual({
      OAuth2PasswordBearer: {
        type: 'oauth2',
        description: 'Password flow',
        flows: {
          password: {
            tokenUrl: 'auth/token',
            refreshUrl: 'https://auth.example.com/refresh',
            scopes: { 'items:read': 'Read items', 'items:write': 'Write items' },
          },
        },
      },
      OptionalPassword: { type: 'oauth2', flows: { password: { tokenUrl: '/token', scopes: {} } } },
    });
    expect(securityByOperation(document)).toStrictEqual({
      'GET /items': [{ OAuth2PasswordBearer: ['items:read'] }],
      'GET /optional': [{ OptionalPassword: [] }, {}],
    });
  });

  it('refuses to be built without a tokenUrl', () => {
    expect(() => new OAuth2PasswordBearer({ tokenUrl: '' })).toThrow(
      'OAuth2PasswordBearer: "tokenUrl" must be a non-empty string.',
    );
  });
});
