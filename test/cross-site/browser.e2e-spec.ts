import { Controller, Get, Header, Res, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { CHROMIUM_PATH, closeBrowser, launchBrowser, type LaunchedBrowser } from '../browser/chromium';
import { PLATFORMS, type Platform } from '../utils/platforms';
import { crossSiteApp, notes } from './app';

/**
 * Cross-site protection in headless Chromium. The application is served as http://localhost:PORT and logs
 * the browser in with a `SameSite=None; Secure` session cookie (Chromium treats localhost as a secure
 * context), the one kind of cookie a browser still sends on a cross-site POST: a Lax cookie would not be
 * sent at all, and the test would prove nothing about the guard. A page served as http://127.0.0.1:OTHER is
 * another site; as http://localhost:OTHER it is the same site on another origin. The profile allows
 * third-party cookies, so that `fetch(..., { credentials: 'include' })` from the other site carries the
 * cookie too. For every request the server records whether the cookie arrived, what Sec-Fetch-Site said and
 * the status answered: the refusals below are the guard's, with the cookie in hand.
 *
 * (PUT, PATCH and DELETE from another site are stopped by the browser's CORS preflight before they are sent;
 * the HTTP-level tests in headers.e2e-spec.ts cover them.)
 */

const TIMEOUT = 60_000;
const CROSS_SITE = { statusCode: 403, message: 'Cross-site request refused', error: 'Forbidden' };
const ANN = { name: 'ann', via: 'session' };

const hasChromium = existsSync(CHROMIUM_PATH);
const notFound = `Chromium not found at ${CHROMIUM_PATH} (install Debian's chromium or set CHROMIUM_PATH)`;

/** A page that submits a form and calls fetch with credentials, against `base` ('' for its own origin). */
function page(base: string): string {
  return `<!doctype html><html><body>
<form id="post" method="post" action="${base}/notes"><input name="text" value="from a form"></form>
<script>
  async function send(method, text) {
    const init = { method, credentials: 'include' };
    if (text !== undefined) init.body = new URLSearchParams({ text });
    try {
      const response = await fetch('${base}/notes', init);
      return { status: response.status, body: await response.json() };
    } catch (error) {
      return { unreadable: String(error) }; // another origin's answer, without CORS headers
    }
  }
</script></body></html>`;
}

/** Logs in (the session cookie) and serves the same-origin page. Public routes. */
@Controller()
class PagesController {
  @Get('login')
  login(@Res({ passthrough: true }) response: { header(name: string, value: string): void }) {
    response.header('Set-Cookie', 'session=s1; Path=/; SameSite=None; Secure; HttpOnly');
    return { loggedIn: true };
  }

  @Get('page')
  @Header('Content-Type', 'text/html; charset=utf-8')
  page() {
    return page('');
  }
}

/** What the application received and answered. */
interface Received {
  method: string;
  url: string;
  cookie: string | undefined;
  site: string | undefined;
  origin: string | undefined;
  status: number;
}

if (!hasChromium && process.env.REQUIRE_BROWSER === '1') {
  test('cross-site browser test: Chromium is required (REQUIRE_BROWSER=1)', () => {
    throw new Error(`${notFound}. REQUIRE_BROWSER=1, so the browser test must run.`);
  });
} else if (!hasChromium) {
  process.stderr.write(`\nNOT RUN: cross-site browser test. ${notFound}.\n\n`);
  const notRun = test.skip;
  notRun(`NOT RUN: cross-site browser test (${notFound})`, () => undefined);
} else {
  describe.each(PLATFORMS)('cross-site protection in Chromium (%s)', (platform) => {
    let app: INestApplication;
    let other: Server;
    let browser: LaunchedBrowser;
    let tab: Page;
    let appOrigin: string; // http://localhost:PORT
    let crossSiteOrigin: string; // http://127.0.0.1:OTHER
    let sameSiteOrigin: string; // http://localhost:OTHER
    const received: Received[] = [];

    beforeAll(async () => {
      app = await startApp(platform, received);
      appOrigin = `http://localhost:${(app.getHttpServer().address() as AddressInfo).port}`;
      other = createServer((_request, response) => {
        response.setHeader('Content-Type', 'text/html; charset=utf-8');
        response.end(page(appOrigin));
      });
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
      const otherPort = (other.address() as AddressInfo).port;
      crossSiteOrigin = `http://127.0.0.1:${otherPort}`;
      sameSiteOrigin = `http://localhost:${otherPort}`;
      // cookie_controls_mode 0: third-party cookies allowed, so that fetch from the other site carries the cookie.
      browser = await launchBrowser({ preferences: { profile: { cookie_controls_mode: 0 } } });
      tab = await browser.context.newPage();
      tab.setDefaultTimeout(15_000);
    }, TIMEOUT);

    afterAll(async () => {
      await closeBrowser(browser);
      await new Promise((resolve) => other?.close(resolve));
      await app?.close();
    }, TIMEOUT);

    beforeEach(() => {
      notes.length = 0;
      received.length = 0;
    });

    /** The application's record of the one request `method /notes` made so far in this test. */
    async function receivedNotes(method: string): Promise<Received> {
      for (let waited = 0; waited < 5_000; waited += 20) {
        const found = received.filter((request) => request.method === method && request.url === '/notes');
        if (found.length > 0) {
          expect(found).toHaveLength(1);
          return found[0];
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`The application received no ${method} /notes`);
    }

    /** Submits the page's form (a top-level navigation) and returns the response the browser got. */
    async function submitForm() {
      const [response] = await Promise.all([
        tab.waitForResponse((response) => response.url().endsWith('/notes') && response.request().method() === 'POST'),
        tab.evaluate("document.getElementById('post').submit()"),
      ]);
      return { status: response.status(), body: await response.json() };
    }

    test('logs in on the application: a SameSite=None; Secure session cookie for localhost', async () => {
      await tab.goto(`${appOrigin}/login`);
      const cookies = await browser.context.cookies(appOrigin);
      expect(cookies.map(({ name, value, sameSite, secure }) => ({ name, value, sameSite, secure }))).toEqual([
        { name: 'session', value: 's1', sameSite: 'None', secure: true },
      ]);
    }, TIMEOUT);

    test('a form on another site posting with the cookie is refused with 403', async () => {
      await tab.goto(`${crossSiteOrigin}/`);
      expect(await submitForm()).toEqual({ status: 403, body: CROSS_SITE });
      expect(await receivedNotes('POST')).toEqual({
        method: 'POST',
        url: '/notes',
        cookie: 'session=s1',
        site: 'cross-site',
        origin: crossSiteOrigin,
        status: 403,
      });
      expect(notes).toEqual([]);
    }, TIMEOUT);

    test('fetch with credentials from another site is refused with 403; its GET passes', async () => {
      await tab.goto(`${crossSiteOrigin}/`);
      const answer = await tab.evaluate("send('POST', 'from fetch')");
      expect(answer).toEqual({ unreadable: expect.stringContaining('TypeError') }); // no CORS: the page cannot read it
      expect(await receivedNotes('POST')).toMatchObject({ cookie: 'session=s1', site: 'cross-site', origin: crossSiteOrigin, status: 403 });
      expect(notes).toEqual([]);

      await tab.evaluate("send('GET')");
      expect(await receivedNotes('GET')).toMatchObject({ cookie: 'session=s1', site: 'cross-site', status: 200 });
    }, TIMEOUT);

    test('a page of the same site on another origin (another port) is refused too', async () => {
      await tab.goto(`${sameSiteOrigin}/`);
      expect(await submitForm()).toEqual({ status: 403, body: CROSS_SITE });
      expect(await receivedNotes('POST')).toMatchObject({ cookie: 'session=s1', site: 'same-site', origin: sameSiteOrigin, status: 403 });
    }, TIMEOUT);

    test("the application's own page posts with the form and with fetch", async () => {
      await tab.goto(`${appOrigin}/page`);
      const answer = await tab.evaluate("send('POST', 'from fetch')");
      expect(answer).toEqual({ status: 201, body: { user: ANN, created: 'from fetch' } });
      expect(await submitForm()).toEqual({ status: 201, body: { user: ANN, created: 'from a form' } });
      expect(received.filter((request) => request.url === '/notes')).toEqual([
        { method: 'POST', url: '/notes', cookie: 'session=s1', site: 'same-origin', origin: appOrigin, status: 201 },
        { method: 'POST', url: '/notes', cookie: 'session=s1', site: 'same-origin', origin: appOrigin, status: 201 },
      ]);
      expect(notes).toEqual(['from fetch', 'from a form']);
    }, TIMEOUT);
  });
}

/** The cross-site test application on 127.0.0.1 (reached as localhost), recording each request it answers. */
async function startApp(platform: Platform, received: Received[]): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule(crossSiteApp(undefined, [PagesController])).compile();
  const app = moduleRef.createNestApplication(platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false });
  (app.getHttpServer() as Server).on('request', (request: IncomingMessage, response: ServerResponse) => {
    response.on('finish', () => {
      received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        cookie: request.headers.cookie,
        site: request.headers['sec-fetch-site'] as string | undefined,
        origin: request.headers.origin,
        status: response.statusCode,
      });
    });
  });
  await app.listen(0, '127.0.0.1');
  return app;
}
