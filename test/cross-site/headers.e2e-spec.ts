import type { OpenAPIObject } from '@nestjs/swagger';
import { outcome, unauthorized, type Outcome } from '../utils/auth';
import { buildDocument } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { SecuritySchemesModule } from 'nestjs-security-schemes';
import { crossSiteApp, notes, refusals, session, sessionValidator, validated } from './app';

// Each combination of Sec-Fetch-Site, Origin and method, over HTTP on both platforms, against routes that
// cookie credentials (APIKeyCookie, a scheme registered with credentialsFromCookie: true), a bearer token,
// or both can meet. The requests carry `Host: api.test`, so the request's own origin is http://api.test.

const CROSS_SITE = { statusCode: 403, message: 'Cross-site request refused', error: 'Forbidden' };
const ANN = { name: 'ann', via: 'session' };
const BOB = { name: 'bob', via: 'bearer' };
const TRUSTED = ['http://partner.test', 'https://app.api.test'];

type Headers = Record<string, string>;
const COOKIE: Headers = { Cookie: 'session=s1' };
const TOKEN: Headers = { Authorization: 'Bearer t1' };
const CROSS: Headers = { 'Sec-Fetch-Site': 'cross-site', Origin: 'http://evil.test' };
const SAME_ORIGIN: Headers = { 'Sec-Fetch-Site': 'same-origin', Origin: 'http://api.test' };

const refused = (): Outcome => ({ status: 403, body: CROSS_SITE, challenge: undefined });
const created = (body: unknown): Outcome => ({ status: 201, body, challenge: undefined });
const passed = (body: unknown): Outcome => ({ status: 200, body, challenge: undefined });

describe.each(PLATFORMS)('cross-site protection over HTTP (%s)', (platform) => {
  let t: TestApp;
  let document: OpenAPIObject;
  const send = (method: 'get' | 'head' | 'post' | 'put' | 'patch' | 'delete', path: string, ...headers: Headers[]) =>
    t.http[method](path).set({ Host: 'api.test', ...Object.assign({}, ...headers) }).then(outcome);
  const post = (path: string, ...headers: Headers[]) => send('post', path, ...headers);

  beforeAll(async () => {
    t = await createTestApp(platform, crossSiteApp({ trustedOrigins: TRUSTED }));
    document = buildDocument(t.app);
  });
  afterAll(() => t?.close());
  beforeEach(() => {
    refusals.length = 0;
    notes.length = 0;
  });

  describe('Sec-Fetch-Site (an unsafe request authenticated by the session cookie)', () => {
    it.each<[string, Headers, 'pass' | 'refuse']>([
      ['same-origin', { 'Sec-Fetch-Site': 'same-origin', Origin: 'http://api.test' }, 'pass'],
      ['none (typed or bookmarked by the user)', { 'Sec-Fetch-Site': 'none' }, 'pass'],
      ['cross-site', { 'Sec-Fetch-Site': 'cross-site', Origin: 'http://evil.test' }, 'refuse'],
      ['cross-site without Origin', { 'Sec-Fetch-Site': 'cross-site' }, 'refuse'],
      ['cross-site whose Origin claims to be the request\'s own', { 'Sec-Fetch-Site': 'cross-site', Origin: 'http://api.test' }, 'refuse'],
      ['same-site (another port, or a sibling host)', { 'Sec-Fetch-Site': 'same-site', Origin: 'http://api.test:8080' }, 'refuse'],
      ['cross-site from a trusted origin', { 'Sec-Fetch-Site': 'cross-site', Origin: 'http://partner.test' }, 'pass'],
      ['same-site from a trusted origin', { 'Sec-Fetch-Site': 'same-site', Origin: 'https://app.api.test' }, 'pass'],
      ['an unknown value', { 'Sec-Fetch-Site': 'same-party', Origin: 'http://api.test' }, 'refuse'],
      ['two values', { 'Sec-Fetch-Site': 'same-origin, cross-site', Origin: 'http://api.test' }, 'refuse'],
    ])('%s', async (_name, headers, expected) => {
      const before = validated.session;
      const answer = await post('/notes', COOKIE, headers);
      if (expected === 'pass') {
        expect(answer).toEqual(created({ user: ANN, created: '' }));
        expect(notes).toEqual(['']);
      } else {
        expect(answer).toEqual(refused());
        expect(notes).toEqual([]); // the handler never ran
        expect(validated.session).toBe(before); // nor did the validator
      }
    });
  });

  describe('Origin, when Sec-Fetch-Site is missing', () => {
    it.each<[string, Headers, 'pass' | 'refuse']>([
      ['neither header: not a browser', {}, 'pass'],
      ["the request's own origin", { Origin: 'http://api.test' }, 'pass'],
      ['a trusted origin', { Origin: 'http://partner.test' }, 'pass'],
      ['another origin', { Origin: 'http://evil.test' }, 'refuse'],
      ['the same host over another scheme', { Origin: 'https://api.test' }, 'refuse'],
      ['the same host on another port', { Origin: 'http://api.test:8080' }, 'refuse'],
      ['null (an opaque origin: sandboxed frame, data: URL)', { Origin: 'null' }, 'refuse'],
      ['another origin named in X-Forwarded-Host (the proxy is not trusted)', { Origin: 'http://evil.test', 'X-Forwarded-Host': 'evil.test' }, 'refuse'],
    ])('%s', async (_name, headers, expected) => {
      expect(await post('/notes', COOKIE, headers)).toEqual(expected === 'pass' ? created({ user: ANN, created: '' }) : refused());
    });
  });

  it('refuses PUT, PATCH and DELETE from another site; GET and HEAD pass', async () => {
    for (const method of ['put', 'patch', 'delete'] as const) {
      expect(await send(method, '/notes/1', COOKIE, CROSS)).toEqual(refused());
      expect(await send(method, '/notes/1', COOKIE, SAME_ORIGIN)).toEqual(passed({ user: ANN }));
    }
    expect(await send('get', '/notes', COOKIE, CROSS)).toEqual(passed({ user: ANN, notes: [] }));
    expect((await send('head', '/notes', COOKIE, CROSS)).status).toBe(200);
  });

  it('answers 401 as before when the cookie is missing, and refuses a wrong cookie from another site with 403', async () => {
    expect(await post('/notes', CROSS)).toEqual(unauthorized('APIKey'));
    expect(await post('/notes', { Cookie: 'session=wrong' }, SAME_ORIGIN)).toEqual(unauthorized('APIKey'));
    expect(await post('/notes', { Cookie: 'session=wrong' }, CROSS)).toEqual(refused());
  });

  it('reports the refusal to onRefusal as cross_site', async () => {
    await post('/notes', COOKIE, CROSS);
    expect(refusals.map(({ reason, status, schemes, handler }) => ({ reason, status, schemes, handler }))).toEqual([
      { reason: 'cross_site', status: 403, schemes: ['Session'], handler: 'NotesController.create' },
    ]);
  });

  describe('only when the cookie credentials are what authenticates', () => {
    it('cookie OR bearer: the bearer token passes from another site; the cookie alone does not', async () => {
      expect(await post('/mixed/either', TOKEN, CROSS)).toEqual(created({ user: BOB }));
      expect(await post('/mixed/either', COOKIE, CROSS)).toEqual(refused());
      // The cookie alternative is tried first and fails the check; the bearer alternative then passes.
      expect(await post('/mixed/either', COOKIE, TOKEN, CROSS)).toEqual(created({ user: BOB }));
      expect(await post('/mixed/either', COOKIE, SAME_ORIGIN)).toEqual(created({ user: ANN }));
      expect(await post('/mixed/either', CROSS)).toEqual(unauthorized('APIKey, Bearer'));
    });

    it('cookie AND bearer: the token is something another site cannot make the browser send', async () => {
      expect(await post('/mixed/both', COOKIE, TOKEN, CROSS)).toEqual(created({ user: ANN }));
    });

    it('a bearer-only route is not checked', async () => {
      expect(await post('/mixed/bearer', TOKEN, CROSS)).toEqual(created({ user: BOB }));
    });

    it('an optional cookie: no cookie passes anonymously, a cookie from another site is refused', async () => {
      expect(await post('/mixed/optional', CROSS)).toEqual(created({ user: null }));
      expect(await post('/mixed/optional', COOKIE, CROSS)).toEqual(refused());
      expect(await post('/mixed/optional', COOKIE, SAME_ORIGIN)).toEqual(created({ user: ANN }));
    });

    it("an application's own scheme registered with credentialsFromCookie: true", async () => {
      expect(await post('/mixed/sid', { Cookie: 'sid=x1' }, CROSS)).toEqual(refused());
      expect(await post('/mixed/sid', { Cookie: 'sid=x1' }, SAME_ORIGIN)).toEqual(created({ user: { name: 'ann', via: 'sid' } }));
    });
  });

  it('@SkipCrossSiteCheck() on a handler or a controller leaves those routes out', async () => {
    expect(await post('/notes/import', COOKIE, CROSS)).toEqual(created({ user: ANN }));
    expect(await post('/hooks', COOKIE, CROSS)).toEqual(created({ user: ANN }));
    expect(await post('/hooks', CROSS)).toEqual(unauthorized('APIKey')); // their security stays
  });

  describe('the OpenAPI document', () => {
    type Operation = { description?: string; responses: Record<string, { description?: string; content?: Record<string, { schema?: any }> }> };
    const operation = (path: string, method: string) => (document.paths[path] as Record<string, Operation>)[method];
    const messages403 = (op: Operation) => {
      const message = op.responses['403']?.content?.['application/json']?.schema?.properties?.message;
      return message?.enum ?? (message ? [message.example] : []);
    };

    it('lists the 403 and a description line on every route the check covers, and nowhere else', () => {
      const covered = ['/notes post', '/notes/{id} put', '/notes/{id} patch', '/notes/{id} delete', '/mixed/either post', '/mixed/both post', '/mixed/optional post', '/mixed/sid post'];
      const uncovered = ['/notes get', '/notes/import post', '/mixed/bearer post', '/hooks post'];
      for (const route of covered) {
        const op = operation(...(route.split(' ') as [string, string]));
        expect([route, messages403(op)]).toEqual([route, ['Cross-site request refused']]);
        expect(op.responses['403'].description).toMatch(/^Cross-site request refused: a page of another site sent this unsafe request with cookie credentials\.$/);
        expect(op.description).toContain('- Cross-site protection: when only the ');
        expect(op.description).toContain('(trusted: http://partner.test, https://app.api.test)');
      }
      for (const route of uncovered) {
        const op = operation(...(route.split(' ') as [string, string]));
        expect([route, op.responses['403'], op.description ?? '']).toEqual([route, undefined, expect.not.stringContaining('Cross-site')]);
      }
      expect(operation('/mixed/sid', 'post').description).toBe(
        'Security checks besides scopes (not expressible in OpenAPI):\n' +
          '- Cross-site protection: when only the Sid cookie credentials authenticate it, this request is refused (403) if a page ' +
          'of another origin (trusted: http://partner.test, https://app.api.test) sent it',
      );
    });
  });
});

describe.each(PLATFORMS)('cross-site protection: options (%s)', (platform) => {
  it('crossSite: false turns the check off', async () => {
    const t = await createTestApp(platform, crossSiteApp(false));
    try {
      expect(await t.http.post('/notes').set({ ...COOKIE, ...CROSS }).then(outcome)).toEqual(created({ user: ANN, created: '' }));
      expect(buildDocument(t.app).paths['/notes'].post?.responses['403']).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it.each<[string, unknown, string]>([
    ['a trusted origin with a path', { trustedOrigins: ['https://app.example.com/login'] }, 'crossSite.trustedOrigins: "https://app.example.com/login" is not an origin'],
    ['a trusted origin without a scheme', { trustedOrigins: ['app.example.com'] }, 'crossSite.trustedOrigins: "app.example.com" is not an origin'],
    ['trusted origins that are not a list', { trustedOrigins: 'https://app.example.com' }, 'crossSite.trustedOrigins must be a list of origins'],
    ['a doubleSubmit without validateRequest', { doubleSubmit: { generateCsrfToken() {} } }, 'crossSite.doubleSubmit must have a validateRequest(request) method'],
    ['a tokenHeader that is not a header name', { tokenHeader: 'x csrf' }, 'crossSite.tokenHeader must be a header name'],
    ['crossSite: "off"', 'off', 'crossSite must be false (off) or { trustedOrigins?, doubleSubmit?, tokenHeader? }'],
  ])('%s is a start-up error', async (_name, crossSite, message) => {
    await expect(createTestApp(platform, crossSiteApp(crossSite as never))).rejects.toThrow(message);
  });

  it('credentialsFromCookie other than true is a start-up error', async () => {
    const metadata = {
      imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: session, validator: sessionValidator, credentialsFromCookie: false as never }] })],
    };
    await expect(createTestApp(platform, metadata)).rejects.toThrow(
      'SecuritySchemesModule: credentialsFromCookie of scheme "Session" can only be true, got false',
    );
  });

  it('accepts a trusted origin written with a trailing slash or in upper case', async () => {
    const t = await createTestApp(platform, crossSiteApp({ trustedOrigins: ['HTTP://Partner.test/'] }));
    try {
      const answer = await t.http.post('/notes').set({ ...COOKIE, 'Sec-Fetch-Site': 'cross-site', Origin: 'http://partner.test' }).then(outcome);
      expect(answer.status).toBe(201);
    } finally {
      await t.close();
    }
  });
});
