import { Controller, Get } from '@nestjs/common';
import { CurrentUser, HTTPDigest, Security, SecuritySchemesModule } from 'nestjs-security-schemes';
import { ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

// validatedBy: 'handler' (no validator): the principal is the extracted { scheme, credentials } (verifying a digest is the app's job).
const digest = new HTTPDigest({ description: 'RFC 7616 digest' });
const optionalDigest = new HTTPDigest({ schemeName: 'OptionalDigest', autoError: false });

const PARAMS = 'username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", response="8ca5"';

@Controller()
class DigestController {
  @Security(digest)
  @Get('required')
  required(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(optionalDigest)
  @Get('optional')
  optional(@CurrentUser() user: unknown) {
    return { user };
  }
}

/** Authorization values that carry no digest credentials. */
const NOT_A_DIGEST: [string, string][] = [
  ['Digest alone', 'Digest'],
  ['Digest and blanks', 'Digest   '],
  ['another scheme', 'Bearer abc'],
  ['the scheme word glued to the parameters', 'Digestusername="a"'],
];

describe.each(PLATFORMS)('HTTPDigest (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, authorization?: string) =>
    (authorization === undefined ? t.http.get(path) : t.http.get(path).set('Authorization', authorization)).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: digest, validatedBy: 'handler' },
            { scheme: optionalDigest, validatedBy: 'handler' },
          ],
        }),
      ],
      controllers: [DigestController],
    });
  });
  afterAll(() => t.close());

  describe('autoError: true', () => {
    it('returns { scheme, credentials } with the parameters as sent, trimmed', async () => {
      expect(await get('/required', `Digest ${PARAMS}`)).toEqual(ok({ user: { scheme: 'Digest', credentials: PARAMS } }));
      expect(await get('/required', `digest   ${PARAMS}  `)).toEqual(
        ok({ user: { scheme: 'digest', credentials: PARAMS } }),
      );
    });

    it('answers 401 Digest without the header', async () => {
      expect(await get('/required')).toEqual(unauthorized('Digest'));
    });

    it.each(NOT_A_DIGEST)('answers 401 Digest for %s', async (_case, authorization) => {
      expect(await get('/required', authorization)).toEqual(unauthorized('Digest'));
    });
  });

  describe('autoError: false', () => {
    it('runs the handler with a null user without the header', async () => {
      expect(await get('/optional')).toEqual(ok({ user: null }));
    });

    it.each(NOT_A_DIGEST)('runs the handler with a null user for %s', async (_case, authorization) => {
      expect(await get('/optional', authorization)).toEqual(ok({ user: null }));
    });

    it('returns credentials that are sent', async () => {
      expect(await get('/optional', `DIGEST ${PARAMS}`)).toEqual(ok({ user: { scheme: 'DIGEST', credentials: PARAMS } }));
    });
  });

  it('documents HTTP digest', () => {
    const document = buildDocument(t.app);
    expect(document.components?.securitySchemes).toStrictEqual({
      HTTPDigest: { type: 'http', scheme: 'digest', description: 'RFC 7616 digest' },
      OptionalDigest: { type: 'http', scheme: 'digest' },
    });
    expect(securityByOperation(document)).toStrictEqual({
      'GET /required': [{ HTTPDigest: [] }],
      'GET /optional': [{ OptionalDigest: [] }, {}],
    });
  });
});
