import { Controller, Get, type INestApplication } from '@nestjs/common';
import { SwaggerModule } from '@nestjs/swagger';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import type { Locator, Page, Request } from 'playwright-core';
import {
  CurrentUser,
  JwtValidator,
  OAuth2AuthorizationCodeBearer,
  Security,
  SecuritySchemesModule,
  type JwtClaims,
} from 'nestjs-security-schemes';
import { buildDocument } from '../utils/openapi';
import { createTestApp, PLATFORMS } from '../utils/platforms';
import { API_AUDIENCE, TestProvider } from '../oidc/provider';
import { CHROMIUM_PATH, closeBrowser, launchBrowser, type LaunchedBrowser } from './chromium';
import { saveArtifact } from './screenshots';

/**
 * Swagger UI's authorization-code login with PKCE against a real OpenID provider (oidc-provider in a
 * child process), in headless Chromium: Authorize → the provider's login page → consent → back to
 * Swagger UI, then "Try it out" on a route that requires `write`: 200 when `write` was granted, 403
 * insufficient_scope when only `read` was.
 */

const TIMEOUT = 90_000;
const hasChromium = existsSync(CHROMIUM_PATH);
const notFound = `Chromium not found at ${CHROMIUM_PATH} (install Debian's chromium or set CHROMIUM_PATH)`;

if (!hasChromium && process.env.REQUIRE_BROWSER === '1') {
  test('Swagger UI PKCE browser test: Chromium is required (REQUIRE_BROWSER=1)', () => {
    throw new Error(`${notFound}. REQUIRE_BROWSER=1, so the browser test must run.`);
  });
} else if (!hasChromium) {
  console.warn(`NOT RUN: Swagger UI PKCE browser test. ${notFound}.`);
  const notRun = test.skip;
  notRun(`NOT RUN: Swagger UI PKCE browser test (${notFound})`, () => undefined);
} else {
  describe.each(PLATFORMS)('Swagger UI login with authorization code + PKCE (%s)', (platform) => {
    let provider: TestProvider;
    let app: INestApplication;
    let browser: LaunchedBrowser;
    let page: Page;
    let url: string;

    beforeAll(async () => {
      provider = await TestProvider.start();
      const code = new OAuth2AuthorizationCodeBearer({
        authorizationUrl: `${provider.issuer}/auth`,
        tokenUrl: `${provider.issuer}/token`,
        scopes: { read: 'Read.', write: 'Write.' },
      });

      @Controller()
      class NotesController {
        @Security(code, ['write'])
        @Get('notes')
        notes(@CurrentUser() claims: JwtClaims) {
          return { sub: claims.sub, scope: claims.scope };
        }
      }

      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      const redirectUrl = `${url}/docs/oauth2-redirect.html`;
      await provider.setRedirectUris([redirectUrl]);
      const validator = new JwtValidator({ issuer: provider.issuer, audience: API_AUDIENCE, algorithms: ['RS256'], typ: 'at+jwt' });
      const started = await createTestApp(
        platform,
        { imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: code, validator }] })], controllers: [NotesController] },
        (nest) => {
          SwaggerModule.setup('docs', nest, () => buildDocument(nest), {
            // The settings the README recommends for an identity provider's login page.
            swaggerOptions: {
              initOAuth: { clientId: 'swagger', usePkceWithAuthorizationCodeGrant: true },
              oauth2RedirectUrl: redirectUrl,
              persistAuthorization: false,
            },
          });
        },
      );
      app = started.app;
      await app.listen(port, '127.0.0.1');
      browser = await launchBrowser();
      page = await browser.context.newPage();
      page.setDefaultTimeout(20_000);
      await page.goto(`${url}/docs`);
      await page.locator('.swagger-ui .btn.authorize').first().waitFor();
    }, TIMEOUT);

    afterAll(async () => {
      if (page) await saveArtifact(page, `swagger-ui-pkce-${platform}.png`, { fullPage: true });
      await closeBrowser(browser);
      await app?.close();
      await provider?.stop();
    }, TIMEOUT);

    test('Authorize with read and write, log in and consent at the provider, then Try it out: 200', async () => {
      const tokenRequest = await logIn(page, ['read', 'write'], provider.issuer);
      const form = new URLSearchParams(tokenRequest.postData() ?? '');
      expect(form.get('grant_type')).toBe('authorization_code');
      expect(form.get('code_verifier')).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
      expect((await tokenRequest.response())?.status()).toBe(200);

      const { request, status, body } = await tryItOut(page, `${url}/notes`);
      expect(await request.headerValue('authorization')).toMatch(/^Bearer ey/);
      expect(status).toBe('200');
      expect(JSON.parse(body)).toEqual({ sub: 'alice', scope: 'read write' });
      await logOut(page);
    }, TIMEOUT);

    test('with read only, Try it out answers 403 insufficient_scope', async () => {
      await logIn(page, ['read'], provider.issuer);
      const { request, status, body } = await tryItOut(page, `${url}/notes`);
      expect(status).toBe('403');
      expect(JSON.parse(body)).toEqual({ statusCode: 403, message: 'Not enough permissions', error: 'Forbidden' });
      expect(await (await request.response())?.headerValue('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="write"');
    }, TIMEOUT);
  });
}

/** A free local port (the redirect URI registered at the provider must name the app's port). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Authorize in Swagger UI, then log in as alice and consent in the provider's pop-up; returns the token request. */
async function logIn(page: Page, scopes: string[], issuer: string): Promise<Request> {
  await page.locator('.swagger-ui .auth-wrapper .btn.authorize').first().click();
  const section = page.locator('.dialog-ux .auth-container').filter({ has: page.locator('h4', { hasText: /^\s*OAuth2AuthorizationCodeBearer\s/ }) });
  await section.waitFor();
  for (const scope of scopes) await section.locator(`label[for="${scope}-authorizationCode-checkbox-OAuth2AuthorizationCodeBearer"]`).click();

  await page.context().clearCookies(); // a new session at the provider: it asks for login and consent again
  const popupOpened = page.context().waitForEvent('page');
  const tokenRequest = page.waitForRequest((request) => request.url() === `${issuer}/token` && request.method() === 'POST');
  await section.locator('button.authorize').click();
  const popup = await popupOpened;
  await popup.waitForURL((address) => address.href.startsWith(issuer));
  // oidc-provider's development login and consent pages.
  await popup.locator('input[name="login"]').fill('alice');
  await popup.locator('input[name="password"]').fill('any');
  await popup.locator('button[type="submit"]').click();
  await popup.locator('button[type="submit"]', { hasText: /continue/i }).click();
  const request = await tokenRequest;
  await section.locator('button', { hasText: 'Logout' }).waitFor();
  await page.locator('.dialog-ux .modal-ux-header .close-modal').click();
  await page.locator('.dialog-ux').waitFor({ state: 'detached' });
  return request;
}

async function logOut(page: Page): Promise<void> {
  await page.locator('.swagger-ui .auth-wrapper .btn.authorize').first().click();
  await page.locator('.dialog-ux button', { hasText: 'Logout' }).click();
  await page.locator('.dialog-ux .modal-ux-header .close-modal').click();
}

/** Expands GET /notes (once), clicks "Try it out" and "Execute"; returns the request and the live response. */
async function tryItOut(page: Page, requestUrl: string) {
  const operation: Locator = page.locator('.opblock.opblock-get').filter({ has: page.locator('.opblock-summary-path[data-path="/notes"]') });
  if (!(await operation.locator('.btn.execute').isVisible())) {
    if (!(await operation.locator('.try-out__btn').isVisible())) await operation.locator('.opblock-summary').click();
    await operation.locator('.try-out__btn').click();
  }
  const sent = page.waitForRequest((request: Request) => request.url() === requestUrl);
  await operation.locator('.btn.execute').click();
  const request = await sent;
  await request.response();
  const live = operation.locator('.live-responses-table tr.response');
  const status = live.locator('.response-col_status');
  await status.waitFor();
  return {
    request,
    status: (await status.innerText()).split('\n')[0].trim(),
    body: await live.locator('.response-col_description pre.microlight').first().innerText(),
  };
}
