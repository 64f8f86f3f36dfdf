import { Controller, Get, Injectable } from '@nestjs/common';
import {
  CurrentCredentials,
  CurrentUser,
  HTTPBearer,
  Security,
  SecuritySchemesModule,
  type HTTPAuthorizationCredentials,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const bearer = new HTTPBearer({ bearerFormat: 'JWT', description: 'Access token' });
const optionalBearer = new HTTPBearer({ schemeName: 'OptionalBearer', autoError: false });

/** Rejects the token `expired`; the principal names the token it was given. */
@Injectable()
class TokenValidator implements SecurityValidator<HTTPAuthorizationCredentials> {
  validate({ credentials }: HTTPAuthorizationCredentials) {
    return credentials === 'expired' ? null : { sub: `user-of-${credentials}` };
  }
}

@Controller()
class BearerController {
  @Security(bearer)
  @Get('required')
  required(@CurrentUser() user: unknown, @CurrentCredentials() credentials: unknown) {
    return { user, credentials };
  }

  @Security(optionalBearer)
  @Get('optional')
  optional(@CurrentUser() user: unknown, @CurrentCredentials() credentials: unknown) {
    return { user, credentials };
  }
}

/** Authorization values that carry no bearer token. */
const NOT_A_TOKEN: [string, string][] = [
  ['Bearer alone', 'Bearer'],
  ['Bearer and blanks', 'Bearer    '],
  ['another scheme', 'Basic YTpi'],
  ['a tab instead of a space', 'Bearer\tabc'],
  ['the scheme word glued to the token', 'Bearerabc'],
  ['a look-alike scheme', 'Bearer-Token abc'],
];

describe.each(PLATFORMS)('HTTPBearer (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, authorization?: string) =>
    (authorization === undefined ? t.http.get(path) : t.http.get(path).set('Authorization', authorization)).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: bearer, validator: TokenValidator },
            { scheme: optionalBearer, validator: TokenValidator },
          ],
        }),
      ],
      providers: [TokenValidator],
      controllers: [BearerController],
    });
  });
  afterAll(() => t.close());

  describe('autoError: true', () => {
    it('gives the validator { scheme, credentials }, the scheme word as sent', async () => {
      expect(await get('/required', 'Bearer abc.def')).toEqual(
        ok({ user: { sub: 'user-of-abc.def' }, credentials: { scheme: 'Bearer', credentials: 'abc.def' } }),
      );
      expect(await get('/required', 'bEaReR   tok  ')).toEqual(
        ok({ user: { sub: 'user-of-tok' }, credentials: { scheme: 'bEaReR', credentials: 'tok' } }),
      );
    });

    it('takes the first Authorization header when two are sent', async () => {
      const twice = await t.http.get('/required').set({ Authorization: ['Bearer first', 'Bearer second'] }).then(outcome);
      expect(twice).toEqual(ok({ user: { sub: 'user-of-first' }, credentials: { scheme: 'Bearer', credentials: 'first' } }));
    });

    it('answers 401 Bearer without the header', async () => {
      expect(await get('/required')).toEqual(unauthorized('Bearer'));
    });

    it.each(NOT_A_TOKEN)('answers 401 Bearer for %s', async (_case, authorization) => {
      expect(await get('/required', authorization)).toEqual(unauthorized('Bearer'));
    });

    it('answers 401 Bearer when the validator rejects the token', async () => {
      expect(await get('/required', 'Bearer expired')).toEqual(unauthorized('Bearer'));
    });
  });

  describe('autoError: false', () => {
    it('runs the handler with a null user without the header', async () => {
      expect(await get('/optional')).toEqual(ok({ user: null, credentials: null }));
    });

    it.each(NOT_A_TOKEN)('runs the handler with a null user for %s', async (_case, authorization) => {
      expect(await get('/optional', authorization)).toEqual(ok({ user: null, credentials: null }));
    });

    it('still validates a token that is sent', async () => {
      expect(await get('/optional', 'Bearer t1')).toEqual(
        ok({ user: { sub: 'user-of-t1' }, credentials: { scheme: 'Bearer', credentials: 't1' } }),
      );
      expect(await get('/optional', 'Bearer expired')).toEqual(unauthorized('Bearer'));
    });
  });

  it('documents bearerFormat only when given', () => {
    const document = buildDocument(t.app);
    expect(document.components?.securitySchemes).toStrictEqual({
      HTTPBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token' },
      OptionalBearer: { type: 'http', scheme: 'bearer' },
    });
    expect(securityByOperation(document)).toStrictEqual({
      'GET /required': [{ HTTPBearer: [] }],
      'GET /optional': [{ OptionalBearer: [] }, {}],
    });
  });
});
