import { Controller, Get, Res } from '@nestjs/common';
import fc from 'fast-check';
import { APIKeyCookie, CurrentUser, readCookie, Security, SecuritySchemesModule } from 'nestjs-security-schemes';
import { ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

/** The `cookie` package, which Express's `res.cookie()` and `@fastify/cookie` encode with (no types installed). */
const cookie = require('cookie') as {
  parse(header: string): Record<string, string>;
  serialize(name: string, value: string): string;
};

/** A value that needs encoding in a cookie: `;`, `=`, `,`, spaces, quotes, `%` and non-ASCII. */
const AWKWARD_VALUE = 'tok=en; a,b "€" 100% done';

// validatedBy: 'handler' (no validator): the principal is the key itself, so responses show exactly what was extracted.
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

  /** Sets the cookie the way the platform's cookie helpers do (Express's res.cookie, or cookie.serialize). */
  @Get('login')
  login(@Res({ passthrough: true }) response: { cookie?: (name: string, value: string) => void; header(name: string, value: string): void }) {
    if (typeof response.cookie === 'function') response.cookie('session', AWKWARD_VALUE);
    else response.header('Set-Cookie', cookie.serialize('session', AWKWARD_VALUE));
    return {};
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
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: sessionCookie, validatedBy: 'handler' },
            { scheme: optionalCookie, validatedBy: 'handler' },
          ],
        }),
      ],
      controllers: [CookieController],
    });
  });
  afterAll(() => t.close());

  describe('autoError: true', () => {
    it('returns the cookie value, without cookie middleware', async () => {
      expect(await get('/required', 'session=abc')).toEqual(ok({ user: 'abc' }));
      expect(await get('/required', 'theme=dark; session=abc; lang=en')).toEqual(ok({ user: 'abc' }));
    });

    it('percent-decodes the value as the cookie package does', async () => {
      expect(await get('/required', 'session=s3cr%3Dt')).toEqual(ok({ user: 's3cr=t' }));
      expect(await get('/required', 'session=caf%C3%A9%20au%20lait')).toEqual(ok({ user: 'café au lait' }));
    });

    it('leaves a value with a malformed escape as it is', async () => {
      expect(await get('/required', 'session=100%')).toEqual(ok({ user: '100%' }));
      expect(await get('/required', 'session=%E2%82')).toEqual(ok({ user: '%E2%82' }));
      expect(await get('/required', 'session=%zz%20')).toEqual(ok({ user: '%zz%20' }));
    });

    it('reads back a cookie the application set with the platform cookie helpers', async () => {
      const setCookie = (await t.http.get('/login')).headers['set-cookie'] as unknown as string[];
      const pair = setCookie[0].split(';')[0]; // session=<encoded value>
      expect(pair).not.toContain(' ');
      expect(await get('/required', pair)).toEqual(ok({ user: AWKWARD_VALUE }));
    });

    it('takes the first of two cookies with the same name', async () => {
      expect(await get('/required', 'session=first; session=second')).toEqual(ok({ user: 'first' }));
      expect(await get('/required', 'session=; session=second')).toEqual(unauthorized('APIKey'));
    });

    it('finds the exact name, not a longer one that ends with it', async () => {
      expect(await get('/required', 'xsession=wrong; session=right')).toEqual(ok({ user: 'right' }));
      expect(await get('/required', 'session_id=wrong;session=right')).toEqual(ok({ user: 'right' }));
    });

    it('drops the double quotes RFC 6265 allows around a value, then decodes it', async () => {
      expect(await get('/required', 'session="quoted"')).toEqual(ok({ user: 'quoted' }));
      expect(await get('/required', 'session=" a%20b "')).toEqual(ok({ user: ' a b ' }));
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
      'GET /login': null,
    });
  });
});

describe('readCookie', () => {
  it('reads every header as cookie.parse() does (first cookie of a name wins)', () => {
    // Pieces rather than characters, so that escapes (valid, cut and malformed) come up often.
    const piece = fc.constantFrom('a', 'b', '=', ';', ' ', '\t', '"', '%', '%20', '%C3%A9', '%E2%82', '%zz', 'é');
    const header = fc.string({ unit: piece, maxLength: 30 });
    fc.assert(
      fc.property(header, fc.constantFrom('a', 'b', 'ab', 'a b'), (text, name) => {
        expect(readCookie(text, name)).toBe(cookie.parse(text)[name]);
      }),
      { numRuns: 5000 },
    );
  });

  it('reads a 15 KB header of ";" in one linear pass', () => {
    const size = 15 * 1024;
    for (const header of [';'.repeat(size), ';'.repeat(size) + 'session=found', ' ;'.repeat(size / 2) + '=x; session=found']) {
      // A quadratic reader scans the rest of the header for '=' at each ';': about size² / 2 characters.
      expect(charactersExamined(() => readCookie(header, 'session'))).toBeLessThan(4 * header.length);
    }
    expect(readCookie(';'.repeat(size) + 'session=found', 'session')).toBe('found');
    expect(readCookie(' ;'.repeat(size / 2) + '=x; session=found', 'session')).toBe('found');
  });
});

/**
 * How many characters of strings `run` examines through String.prototype's search methods (each
 * indexOf/lastIndexOf counts the characters it scanned, each charCodeAt/startsWith one or its length).
 * A count, not a time: it does not depend on the machine's load.
 */
function charactersExamined(run: () => void): number {
  const proto = String.prototype;
  const original = { indexOf: proto.indexOf, lastIndexOf: proto.lastIndexOf, charCodeAt: proto.charCodeAt, startsWith: proto.startsWith };
  let count = 0;
  proto.indexOf = function (this: string, search: string, from = 0) {
    const found = original.indexOf.call(this, search, from);
    count += (found < 0 ? this.length : found + 1) - Math.min(Math.max(from, 0), this.length);
    return found;
  };
  proto.lastIndexOf = function (this: string, search: string, from = Infinity) {
    const found = original.lastIndexOf.call(this, search, from);
    count += Math.min(from, this.length - 1) - found;
    return found;
  };
  proto.charCodeAt = function (this: string, index: number) {
    count += 1;
    return original.charCodeAt.call(this, index);
  };
  proto.startsWith = function (this: string, search: string, position?: number) {
    count += search.length;
    return original.startsWith.call(this, search, position);
  };
  try {
    run();
  } finally {
    Object.assign(proto, original);
  }
  return count;
}
