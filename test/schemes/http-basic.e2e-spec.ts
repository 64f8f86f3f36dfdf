import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Injectable } from '@nestjs/common';
import {
  CurrentUser,
  HTTPBasic,
  Security,
  SecuritySchemesModule,
  type HTTPBasicCredentials,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { basic, ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const staff = new HTTPBasic({ realm: 'Staff "east" \\ wing', description: 'Staff accounts' });
// validatedBy: 'handler' (no validator): the principal is the extracted { username, password }.
const optionalBasic = new HTTPBasic({ schemeName: 'OptionalBasic', autoError: false });

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
const PASSWORDS = new Map([
  ['alice', digest('wonderland')],
  ['jürgen', digest('pässwörd:42')],
]);

/** Compares SHA-256 digests in constant time, so neither length nor content leaks through timing. */
@Injectable()
class StaffValidator implements SecurityValidator<HTTPBasicCredentials> {
  validate({ username, password }: HTTPBasicCredentials) {
    const expected = PASSWORDS.get(username) ?? digest('\u0000no such user');
    const matches = timingSafeEqual(digest(password), expected);
    return matches && PASSWORDS.has(username) ? { username } : null;
  }
}

@Controller()
class BasicController {
  @Security(staff)
  @Get('staff')
  staff(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(optionalBasic)
  @Get('optional')
  optional(@CurrentUser() user: unknown) {
    return { user };
  }
}

const STAFF_CHALLENGE = 'Basic realm="Staff \\"east\\" \\\\ wing"';
const base64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64');

/** Authorization values that say Basic but carry no user:password: a 401 even with autoError: false. */
const MALFORMED: [string, string][] = [
  ['Basic alone', 'Basic'],
  ['Basic and blanks', 'Basic    '],
  ['a payload that is not base64', 'Basic !!!not-base64'],
  ['base64 without its padding', 'Basic dTo'],
  ['a decoded payload without a colon', `Basic ${base64('alice')}`],
  ['a payload that is not UTF-8', `Basic ${base64(Buffer.from([0xff, 0x3a, 0x61]))}`],
];

describe.each(PLATFORMS)('HTTPBasic (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, authorization?: string) =>
    (authorization === undefined ? t.http.get(path) : t.http.get(path).set('Authorization', authorization)).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: staff, validator: StaffValidator },
            { scheme: optionalBasic, validatedBy: 'handler' },
          ],
        }),
      ],
      providers: [StaffValidator],
      controllers: [BasicController],
    });
  });
  afterAll(() => t.close());

  describe('autoError: true, with a realm', () => {
    it('accepts valid credentials, the scheme word in any case', async () => {
      expect(await get('/staff', basic('alice', 'wonderland'))).toEqual(ok({ user: { username: 'alice' } }));
      const payload = base64('alice:wonderland');
      expect(await get('/staff', `basic ${payload}`)).toEqual(ok({ user: { username: 'alice' } }));
      expect(await get('/staff', `BASIC    ${payload}  `)).toEqual(ok({ user: { username: 'alice' } }));
    });

    it('accepts UTF-8 user names and passwords, split at the first colon', async () => {
      expect(await get('/staff', basic('jürgen', 'pässwörd:42'))).toEqual(ok({ user: { username: 'jürgen' } }));
    });

    it('answers 401 with the escaped realm without credentials', async () => {
      expect(await get('/staff')).toEqual(unauthorized(STAFF_CHALLENGE));
    });

    it('answers 401 for another scheme', async () => {
      expect(await get('/staff', 'Bearer abc')).toEqual(unauthorized(STAFF_CHALLENGE));
    });

    it('answers 401 when the validator rejects the password or the user', async () => {
      expect(await get('/staff', basic('alice', 'wrong'))).toEqual(unauthorized(STAFF_CHALLENGE));
      expect(await get('/staff', basic('alice', ''))).toEqual(unauthorized(STAFF_CHALLENGE));
      expect(await get('/staff', basic('mallory', 'wonderland'))).toEqual(unauthorized(STAFF_CHALLENGE));
    });

    it.each(MALFORMED)('answers 401 for %s', async (_case, authorization) => {
      expect(await get('/staff', authorization)).toEqual(unauthorized(STAFF_CHALLENGE));
    });
  });

  describe('autoError: false, without a realm', () => {
    it('returns { username, password } split at the first colon', async () => {
      expect(await get('/optional', basic('bob', 'pa:ss:word'))).toEqual(
        ok({ user: { username: 'bob', password: 'pa:ss:word' } }),
      );
      expect(await get('/optional', basic('', 'only-password'))).toEqual(
        ok({ user: { username: '', password: 'only-password' } }),
      );
      expect(await get('/optional', basic('bob', ''))).toEqual(ok({ user: { username: 'bob', password: '' } }));
      expect(await get('/optional', basic('zoë', 'ünïcödé'))).toEqual(
        ok({ user: { username: 'zoë', password: 'ünïcödé' } }),
      );
    });

    it('runs the handler with a null user without credentials or for another scheme', async () => {
      expect(await get('/optional')).toEqual(ok({ user: null }));
      expect(await get('/optional', 'Bearer abc')).toEqual(ok({ user: null }));
    });

    it.each(MALFORMED)('still answers 401 for %s', async (_case, authorization) => {
      expect(await get('/optional', authorization)).toEqual(unauthorized('Basic'));
    });
  });

  it('refuses a realm that would break the header', () => {
    expect(() => new HTTPBasic({ realm: 'staff\r\nSet-Cookie: x=1' })).toThrow(
      'HTTPBasic: realm must be printable ASCII without control characters, got "staff\\r\\nSet-Cookie: x=1".',
    );
  });

  it('documents HTTP basic without the realm', () => {
    const document = buildDocument(t.app);
    expect(document.components?.securitySchemes).toStrictEqual({
      HTTPBasic: { type: 'http', scheme: 'basic', description: 'Staff accounts' },
      OptionalBasic: { type: 'http', scheme: 'basic' },
    });
    expect(securityByOperation(document)).toStrictEqual({
      'GET /staff': [{ HTTPBasic: [] }],
      'GET /optional': [{ OptionalBasic: [] }, {}],
    });
  });
});
