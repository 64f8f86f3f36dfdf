import { Controller, Get } from '@nestjs/common';
import { CurrentUser, HTTPBase, Security, SecuritySchemesModule } from 'nestjs-security-schemes';
import { ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

// validatedBy: 'handler' (no validator): the principal is the extracted { scheme, credentials }.
const custom = new HTTPBase({ scheme: 'x-v2token', description: 'A custom auth scheme' });
const optionalCustom = new HTTPBase({ scheme: 'x-v2token', schemeName: 'OptionalCustom', autoError: false });
const mac = new HTTPBase({ scheme: 'MAC', schemeName: 'Mac' });

@Controller()
class CustomController {
  @Security(custom)
  @Get('required')
  required(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(optionalCustom)
  @Get('optional')
  optional(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(mac)
  @Get('mac')
  mac(@CurrentUser() user: unknown) {
    return { user };
  }
}

/** Authorization values that carry no usable `x-v2token` credentials. */
const NOT_CREDENTIALS: [string, string][] = [
  ['the scheme word alone', 'x-v2token'],
  ['the scheme word and blanks', 'x-v2token    '],
  ['another scheme', 'Bearer abc'],
  ['a tab instead of a space', 'x-v2token\tabc'],
  ['the scheme word glued to the credentials', 'x-v2tokenabc'],
  ['a longer scheme word', 'x-v2token-2 abc'],
];

describe.each(PLATFORMS)('HTTPBase (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, authorization?: string) =>
    (authorization === undefined ? t.http.get(path) : t.http.get(path).set('Authorization', authorization)).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: custom, validatedBy: 'handler' },
            { scheme: optionalCustom, validatedBy: 'handler' },
            { scheme: mac, validatedBy: 'handler' },
          ],
        }),
      ],
      controllers: [CustomController],
    });
  });
  afterAll(() => t.close());

  describe('autoError: true', () => {
    it('returns { scheme, credentials } with the scheme word as sent', async () => {
      expect(await get('/required', 'x-v2token abc')).toEqual(ok({ user: { scheme: 'x-v2token', credentials: 'abc' } }));
      expect(await get('/required', 'X-V2TOKEN abc')).toEqual(ok({ user: { scheme: 'X-V2TOKEN', credentials: 'abc' } }));
    });

    it('trims the credentials and keeps inner spaces', async () => {
      expect(await get('/required', 'x-v2token    a b  c   ')).toEqual(
        ok({ user: { scheme: 'x-v2token', credentials: 'a b  c' } }),
      );
    });

    it('challenges with the scheme word title-cased like Python str.title()', async () => {
      expect(await get('/required')).toEqual(unauthorized('X-V2Token'));
      expect(await get('/mac')).toEqual(unauthorized('Mac'));
    });

    it.each(NOT_CREDENTIALS)('answers 401 for %s', async (_case, authorization) => {
      expect(await get('/required', authorization)).toEqual(unauthorized('X-V2Token'));
    });
  });

  describe('autoError: false', () => {
    it('runs the handler with a null user without the header', async () => {
      expect(await get('/optional')).toEqual(ok({ user: null }));
    });

    it.each(NOT_CREDENTIALS)('runs the handler with a null user for %s', async (_case, authorization) => {
      expect(await get('/optional', authorization)).toEqual(ok({ user: null }));
    });

    it('returns credentials that are sent', async () => {
      expect(await get('/optional', 'X-v2Token xyz')).toEqual(ok({ user: { scheme: 'X-v2Token', credentials: 'xyz' } }));
    });
  });

  it('refuses a scheme word that is not an HTTP token', () => {
    expect(() => new HTTPBase({ scheme: 'two words' })).toThrow(
      'HTTPBase: "scheme" must be an HTTP auth-scheme token, got "two words".',
    );
  });

  it('documents the scheme word as given', () => {
    const document = buildDocument(t.app);
    expect(document.components?.securitySchemes).toStrictEqual({
      HTTPBase: { type: 'http', scheme: 'x-v2token', description: 'A custom auth scheme' },
      OptionalCustom: { type: 'http', scheme: 'x-v2token' },
      Mac: { type: 'http', scheme: 'MAC' },
    });
    expect(securityByOperation(document)).toStrictEqual({
      'GET /required': [{ HTTPBase: [] }],
      'GET /optional': [{ OptionalCustom: [] }, {}],
      'GET /mac': [{ Mac: [] }],
    });
  });
});
