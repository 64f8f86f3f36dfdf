import { Controller, Get, HttpException } from '@nestjs/common';
import {
  APIKeyCookie,
  APIKeyHeader,
  APIKeyQuery,
  HTTPBase,
  HTTPBasic,
  HTTPBearer,
  quoteString,
  Security,
  SecurityHttpException,
  SecuritySchemesModule,
  type ResponseHeaders,
  type SecurityScheme,
} from 'nestjs-security-schemes';
import { outcome, unauthorized } from '../utils/auth';
import { createTestApp, PLATFORMS } from '../utils/platforms';

// Configuration text that reaches a response header is checked when the scheme is built or registered:
// Node refuses such a header when it is sent, which would be a 500 on every request.

const NOT_HEADER_TEXT: [string, string][] = [
  ['non-ASCII', 'Zone € 1'],
  ['Latin-1', 'Café'],
  ['a line break', 'staff\r\nSet-Cookie: x=1'],
  ['a tab', 'a\tb'],
  ['NUL', 'a\u0000b'],
  ['DEL', 'a\u007fb'],
];

describe('header text from configuration', () => {
  it.each(NOT_HEADER_TEXT)('refuses a realm with %s when the scheme is built', (_case, realm) => {
    expect(() => new HTTPBasic({ realm })).toThrow(
      `HTTPBasic: realm must be printable ASCII without control characters, got ${JSON.stringify(realm)}.`,
    );
  });

  it('names the subclass and refuses a realm that is not a string', () => {
    class StaffBasic extends HTTPBasic {}
    expect(() => new StaffBasic({ realm: 'Zone € 1' })).toThrow('StaffBasic: realm must be printable ASCII');
    expect(() => new HTTPBasic({ realm: 42 as unknown as string })).toThrow(
      'HTTPBasic: realm must be printable ASCII without control characters, got 42.',
    );
  });

  it('accepts printable ASCII, quotes and backslashes included', () => {
    expect(new HTTPBasic({ realm: 'Staff "east" \\ wing ~!' }).makeAuthenticateHeaders()).toEqual({
      'WWW-Authenticate': 'Basic realm="Staff \\"east\\" \\\\ wing ~!"',
    });
  });

  it.each([
    ['APIKeyHeader', (name: string) => new APIKeyHeader({ name }), 'an HTTP header name'],
    ['APIKeyCookie', (name: string) => new APIKeyCookie({ name }), 'a cookie name'],
  ])('%s refuses a name that is not an HTTP token', (className, build, what) => {
    for (const name of ['X API Key', 'X-Key:', 'Clé', 'a\r\nb', 'a;b', 'a=b']) {
      expect(() => build(name)).toThrow(`${className}: name must be ${what} (an RFC 9110 token), got ${JSON.stringify(name)}.`);
    }
    expect(() => build("X-Key_1.!#$%&'*+^`|~")).not.toThrow();
  });

  it('leaves query parameter names free: they never reach a header', () => {
    expect(new APIKeyQuery({ name: 'clé d’accès' }).name).toBe('clé d’accès');
  });

  it('refuses an HTTPBase scheme word that is not a token', () => {
    expect(() => new HTTPBase({ scheme: 'Bé' })).toThrow('HTTPBase: "scheme" must be an HTTP auth-scheme token, got "Bé".');
  });

  it('quoteString refuses what Node would refuse to send', () => {
    expect(() => quoteString('Zone € 1')).toThrow(
      'A header parameter must be printable ASCII without control characters, got "Zone € 1".',
    );
    expect(quoteString('a "b"')).toBe('"a \\"b\\""');
  });
});

/** A subclass whose challenge Node cannot send. */
class EuroBearer extends HTTPBearer {
  override makeAuthenticateHeaders(): ResponseHeaders {
    return { 'WWW-Authenticate': 'Bearer realm="Zone € 1"' };
  }
}

/** A subclass whose error carries a header name Node cannot send. */
class BadHeaderNameKey extends APIKeyHeader {
  override makeNotAuthenticatedError(): HttpException {
    return new SecurityHttpException(401, 'Not authenticated', { 'WWW Authenticate': 'APIKey' });
  }
}

/** A subclass with a challenge Node can send. */
class RealmBearer extends HTTPBearer {
  override makeAuthenticateHeaders(): ResponseHeaders {
    return { 'WWW-Authenticate': 'Bearer realm="zone 1"' };
  }
}

function controllerFor(scheme: SecurityScheme) {
  @Controller()
  class GuardedController {
    @Security(scheme)
    @Get('guarded')
    guarded() {
      return {};
    }
  }
  return GuardedController;
}

describe.each(PLATFORMS)('challenges of subclasses (%s)', (platform) => {
  const start = (scheme: SecurityScheme) =>
    createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme, validatedBy: 'handler' }] })],
      controllers: [controllerFor(scheme)],
    });

  it('refuses at start-up a challenge that is not printable ASCII', async () => {
    await expect(start(new EuroBearer())).rejects.toThrow(
      'SecuritySchemesModule: scheme "EuroBearer" (EuroBearer) makeAuthenticateHeaders(): the WWW-Authenticate header ' +
        'must be printable ASCII without control characters, got "Bearer realm=\\"Zone € 1\\"".',
    );
  });

  it('refuses at start-up a header name that is not a token', async () => {
    await expect(start(new BadHeaderNameKey({ name: 'X-Key' }))).rejects.toThrow(
      'SecuritySchemesModule: scheme "BadHeaderNameKey" (BadHeaderNameKey) makeNotAuthenticatedError(): ' +
        'header name "WWW Authenticate" is not an HTTP token.',
    );
  });

  it('sends a challenge that passes the check', async () => {
    const t = await start(new RealmBearer());
    try {
      expect(await t.http.get('/guarded').then(outcome)).toEqual(unauthorized('Bearer realm="zone 1"'));
    } finally {
      await t.close();
    }
  });
});
