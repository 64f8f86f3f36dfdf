import fastifyCookie from '@fastify/cookie';
import { Controller, Get, Req, Res, type INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import { CaptureLogger } from '../utils/capture-logger';
import { outcome, type Outcome } from '../utils/auth';
import { buildDocument } from '../utils/openapi';
import { createTestApp, PLATFORMS, type Platform, type TestApp } from '../utils/platforms';
import { crossSiteApp, notes, refusals } from './app';

// crossSite.doubleSubmit with csrf-csrf on both platforms: csrf-csrf reads `request.cookies`, which
// cookie-parser fills on Express and @fastify/cookie on Fastify, and sets its cookie with `response.cookie()`,
// which both have. The token is bound to the session cookie (getSessionIdentifier).

const csrf = doubleCsrf({
  getSecret: () => 'the-double-submit-test-secret-0123456789',
  getSessionIdentifier: (request) => (request.cookies as Record<string, string> | undefined)?.session ?? '',
  cookieName: 'csrf',
  cookieOptions: { secure: false },
});

/** Hands out a token (and sets its cookie) for the session the request carries. */
@Controller('csrf-token')
class TokenController {
  @Get()
  token(@Req() request: any, @Res({ passthrough: true }) response: any) {
    return { token: csrf.generateCsrfToken(request, response) };
  }
}

const CSRF_REFUSED = { statusCode: 403, message: 'Missing or invalid CSRF token', error: 'Forbidden' };
const CROSS_SITE = { statusCode: 403, message: 'Cross-site request refused', error: 'Forbidden' };
const ANN = { name: 'ann', via: 'session' };
const SAME_ORIGIN = { 'Sec-Fetch-Site': 'same-origin', Origin: 'http://api.test' };

/** Registers the platform's cookie parser, as csrf-csrf needs. */
async function withCookieParser(platform: Platform, app: INestApplication): Promise<void> {
  if (platform === 'express') app.use(cookieParser());
  else await (app as NestFastifyApplication).register(fastifyCookie);
}

describe.each(PLATFORMS)('cross-site protection with a double-submit token (csrf-csrf, %s)', (platform) => {
  let t: TestApp;
  const post = (path: string, headers: Record<string, string>) =>
    t.http.post(path).set({ Host: 'api.test', ...headers }).then(outcome);

  /** A token and its cookie for `session`, from the token route. */
  async function tokenFor(session: string): Promise<{ token: string; cookie: string }> {
    const response = await t.http.get('/csrf-token').set('Cookie', `session=${session}`).expect(200);
    const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((line) => line.startsWith('csrf='));
    expect(setCookie).toBeDefined();
    return { token: response.body.token, cookie: setCookie!.split(';')[0] };
  }

  beforeAll(async () => {
    t = await createTestApp(platform, crossSiteApp({ doubleSubmit: csrf }, [TokenController]), (app) => withCookieParser(platform, app));
  });
  afterAll(() => t?.close());
  beforeEach(() => {
    notes.length = 0;
    refusals.length = 0;
  });

  it('passes an unsafe same-origin request with the token in the header and its cookie', async () => {
    const { token, cookie } = await tokenFor('s1');
    const created: Outcome = { status: 201, body: { user: ANN, created: '' }, challenge: undefined };
    expect(await post('/notes', { Cookie: `session=s1; ${cookie}`, 'x-csrf-token': token, ...SAME_ORIGIN })).toEqual(created);
    expect(notes).toEqual(['']);
  });

  it('refuses it without the header, without the cookie, or with the token of another session', async () => {
    const { token, cookie } = await tokenFor('s1');
    const other = await tokenFor('s2');
    const refused: Outcome = { status: 403, body: CSRF_REFUSED, challenge: undefined };
    expect(await post('/notes', { Cookie: `session=s1; ${cookie}`, ...SAME_ORIGIN })).toEqual(refused);
    expect(await post('/notes', { Cookie: 'session=s1', 'x-csrf-token': token, ...SAME_ORIGIN })).toEqual(refused);
    expect(await post('/notes', { Cookie: `session=s1; ${other.cookie}`, 'x-csrf-token': other.token, ...SAME_ORIGIN })).toEqual(refused);
    expect(await post('/notes', { Cookie: `session=s1; ${cookie}`, 'x-csrf-token': `${token}0`, ...SAME_ORIGIN })).toEqual(refused);
    // A client that sends neither Sec-Fetch-Site nor Origin needs the token too: it may be a browser too old for both.
    expect(await post('/notes', { Cookie: `session=s1; ${cookie}` })).toEqual(refused);
    expect(notes).toEqual([]);
    expect(refusals.map((refusal) => refusal.reason)).toEqual(Array(5).fill('csrf_token_invalid'));
  });

  it('still refuses a request from another site that carries a valid token', async () => {
    const { token, cookie } = await tokenFor('s1');
    const answer = await post('/notes', { Cookie: `session=s1; ${cookie}`, 'x-csrf-token': token, 'Sec-Fetch-Site': 'cross-site', Origin: 'http://evil.test' });
    expect(answer).toEqual({ status: 403, body: CROSS_SITE, challenge: undefined });
  });

  it('asks nothing of GET, of bearer-authenticated requests, or of opted-out routes', async () => {
    expect((await t.http.get('/notes').set({ Cookie: 'session=s1' })).status).toBe(200);
    expect((await post('/mixed/either', { Authorization: 'Bearer t1', ...SAME_ORIGIN })).status).toBe(201);
    expect((await post('/hooks', { Cookie: 'session=s1' })).status).toBe(201);
  });

  it('documents both 403s and the header', () => {
    const operation = buildDocument(t.app).paths['/notes'].post as any;
    expect(operation.responses['403'].content['application/json'].schema.properties.message.enum).toEqual([
      'Cross-site request refused',
      'Missing or invalid CSRF token',
    ]);
    expect(operation.responses['403'].description).toBe(
      'Cross-site request refused: a page of another site sent this unsafe request with cookie credentials (or Missing or invalid ' +
        'CSRF token: no valid x-csrf-token header).',
    );
    expect(operation.description).toContain('it must also carry the x-csrf-token header (double-submit token)');
  });
});

describe.each(PLATFORMS)('a double-submit token without a cookie parser (%s)', (platform) => {
  it('refuses (fail closed) and says once what is missing', async () => {
    const logger = new CaptureLogger();
    const t = await createTestApp(platform, crossSiteApp({ doubleSubmit: csrf }), (app) => app.useLogger(logger));
    try {
      for (let i = 0; i < 2; i++) {
        const answer = await t.http.post('/notes').set({ Cookie: 'session=s1; csrf=a.b', 'x-csrf-token': 'a.b', ...SAME_ORIGIN }).then(outcome);
        expect(answer).toEqual({ status: 403, body: CSRF_REFUSED, challenge: undefined });
      }
      const errors = logger.lines.filter((line) => line.level === 'error' && line.message.includes('doubleSubmit'));
      expect(errors.map((line) => line.message)).toEqual([
        'crossSite.doubleSubmit.validateRequest threw TypeError; the request is refused with 403. csrf-csrf reads request.cookies: ' +
          'register cookie-parser (Express) or @fastify/cookie (Fastify). (Said once.)',
      ]);
    } finally {
      await t.close();
    }
  });
});
