import type { INestApplication } from '@nestjs/common';
import { existsSync } from 'node:fs';
import type { Locator, Page, Request } from 'playwright-core';
import { createSampleApp } from '../../sample/setup';
import { PLATFORMS } from '../utils/platforms';
import { CHROMIUM_PATH, closeBrowser, launchBrowser, type LaunchedBrowser } from './chromium';
import { saveArtifact, saveReadmeScreenshot, UPDATE_SCREENSHOTS } from './screenshots';

/**
 * What a user does in Swagger UI, in headless Chromium (Debian's package, driven by playwright-core):
 * open /docs, Authorize with the OAuth2 password form (johndoe, scope `me` only), then "Try it out"
 * on GET /users/me (200) and GET /users/me/items (403 insufficient_scope, `items` was not granted).
 *
 * Without Chromium the suite reports "NOT RUN" as a skipped test; with REQUIRE_BROWSER=1 (.ci/run) it fails.
 * Screenshots go to test/artifacts/; UPDATE_SCREENSHOTS=1 also rewrites docs/images/authorize-dialog.png.
 */

const TIMEOUT = 60_000;

const hasChromium = existsSync(CHROMIUM_PATH);
const notFound = `Chromium not found at ${CHROMIUM_PATH} (install Debian's chromium or set CHROMIUM_PATH)`;

if (!hasChromium && process.env.REQUIRE_BROWSER === '1') {
  test('Swagger UI browser test: Chromium is required (REQUIRE_BROWSER=1)', () => {
    throw new Error(`${notFound}. REQUIRE_BROWSER=1, so the browser test must run.`);
  });
} else if (!hasChromium) {
  // Jest drops the console output of a suite whose tests are all skipped: write past it, so the line shows.
  process.stderr.write(`\nNOT RUN: Swagger UI browser test. ${notFound}.\n\n`);
  const notRun = test.skip;
  notRun(`NOT RUN: Swagger UI browser test (${notFound})`, () => undefined);
} else {
  describe.each(PLATFORMS)('Swagger UI in Chromium (%s)', (platform) => {
    let app: INestApplication;
    let browser: LaunchedBrowser;
    let page: Page;
    let url: string;
    let accessToken: string; // from the /token response the browser received

    beforeAll(async () => {
      process.env.SECRET_KEY = 'test-secret-key-for-the-browser-tests-0123456789'; // jest's NODE_ENV=test is not development mode
      app = await createSampleApp(platform, { logger: false });
      // The README's picture shows the token URL of the sample's default port; the tests use any free port.
      await app.listen(UPDATE_SCREENSHOTS && platform === 'express' ? 3000 : 0, '127.0.0.1');
      url = await app.getUrl();
      browser = await launchBrowser();
      page = await browser.context.newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(`${url}/docs`);
      await page.locator('.swagger-ui .btn.authorize').first().waitFor();
    }, TIMEOUT);

    afterAll(async () => {
      if (page) await saveArtifact(page, `swagger-ui-${platform}.png`, { fullPage: true });
      await closeBrowser(browser);
      await app?.close();
    }, TIMEOUT);

    test('the Authorize dialog lists every security scheme of the OpenAPI document', async () => {
      const documented = await documentedSchemeNames(url);
      expect(documented).toHaveLength(5); // the five schemes the sample registers in AppModule

      await page.locator('.swagger-ui .auth-wrapper .btn.authorize').click();
      const dialog = page.locator('.dialog-ux .modal-ux');
      await dialog.waitFor();

      expect((await dialogSchemeNames(dialog)).sort()).toEqual([...documented].sort());
      await saveArtifact(page, `authorize-dialog-${platform}.png`);
      if (UPDATE_SCREENSHOTS && platform === 'express') await saveReadmeScreenshot(page, dialog);
    }, TIMEOUT);

    test('the OAuth2 password form posts the credentials to /token as a form and logs in', async () => {
      const section = authSection(page, 'OAuth2PasswordBearer');
      await section.locator('input[data-name="username"]').fill('johndoe');
      await section.locator('input[data-name="password"]').fill('secret');
      await tickScope(section, 'me');
      expect(await scopeCheckbox(section, 'me').isChecked()).toBe(true);
      expect(await scopeCheckbox(section, 'items').isChecked()).toBe(false);

      const tokenRequest = page.waitForRequest((request) => request.url() === `${url}/token`);
      await section.locator('button.authorize').click();
      const request = await tokenRequest;

      expect(request.method()).toBe('POST');
      expect(await request.headerValue('content-type')).toBe('application/x-www-form-urlencoded');
      const form = new URLSearchParams(request.postData() ?? '');
      expect([form.get('grant_type'), form.get('username'), form.get('password'), form.get('scope')]).toEqual([
        'password',
        'johndoe',
        'secret',
        'me',
      ]);
      const response = await request.response();
      expect(response?.status()).toBe(200);
      const token = (await response?.json()) as { access_token: string; token_type: string };
      expect(token.token_type).toBe('bearer');
      accessToken = token.access_token;

      // Logged in: the section now offers "Logout" and shows the user name instead of a field.
      await section.locator('button', { hasText: 'Logout' }).waitFor();
      expect(await section.locator('input[data-name="username"]').count()).toBe(0);
      expect(await section.innerText()).toContain('johndoe');

      await page.locator('.dialog-ux .modal-ux-header .close-modal').click();
      await page.locator('.dialog-ux').waitFor({ state: 'detached' });
    }, TIMEOUT);

    test('"Try it out" on GET /users/me sends the bearer token and shows 200 with johndoe', async () => {
      const operation = operationBlock(page, 'get', '/users/me');
      const { request, status, body } = await tryItOut(page, operation, `${url}/users/me`);

      expect(await request.headerValue('authorization')).toBe(`Bearer ${accessToken}`);
      expect(status).toBe('200');
      expect(JSON.parse(body)).toEqual({
        username: 'johndoe',
        email: 'johndoe@example.com',
        full_name: 'John Doe',
        disabled: false,
      });
    }, TIMEOUT);

    test('"Try it out" on GET /users/me/items shows 403 insufficient_scope: `items` was not ticked', async () => {
      const operation = operationBlock(page, 'get', '/users/me/items');
      const { request, status, statusCell, body, headers } = await tryItOut(page, operation, `${url}/users/me/items`);

      expect(await request.headerValue('authorization')).toBe(`Bearer ${accessToken}`);
      expect(status).toBe('403');
      expect(statusCell).not.toContain('Undocumented');
      expect(JSON.parse(body)).toEqual({ statusCode: 403, message: 'Not enough permissions', error: 'Forbidden' });
      expect(await (await request.response())?.headerValue('www-authenticate')).toBe(
        'Bearer error="insufficient_scope", scope="me items"',
      );
      // Swagger UI shows the header, without the space after the comma.
      expect(headers).toContain('www-authenticate: Bearer error="insufficient_scope",scope="me items"');
    }, TIMEOUT);
  });
}

/** The names of components.securitySchemes in the served /docs-json. */
async function documentedSchemeNames(url: string): Promise<string[]> {
  const response = await fetch(`${url}/docs-json`);
  const document = (await response.json()) as { components?: { securitySchemes?: Record<string, unknown> } };
  return Object.keys(document.components?.securitySchemes ?? {});
}

/**
 * The scheme names the dialog shows, one per section. Each section's heading starts with the name:
 * "OAuth2PasswordBearer (OAuth2, password)", "HTTPBasic (http, Basic)", "APIKeyHeader (apiKey)".
 */
async function dialogSchemeNames(dialog: Locator): Promise<string[]> {
  const headings = await dialog.locator('.auth-container h4').allInnerTexts();
  return headings.map((heading) => heading.trim().split(/\s/)[0]);
}

/** The dialog's section of one scheme. */
function authSection(page: Page, schemeName: string): Locator {
  const heading = page.locator('h4', { hasText: new RegExp(`^\\s*${schemeName}\\s`) });
  return page.locator('.dialog-ux .auth-container').filter({ has: heading });
}

/** The scope's checkbox in the OAuth2PasswordBearer section (the input is hidden behind its styled label). */
function scopeCheckbox(section: Locator, scope: string): Locator {
  return section.locator(`#${scope}-password-checkbox-OAuth2PasswordBearer`);
}

/** Ticks a scope as a user does: by clicking its label. */
async function tickScope(section: Locator, scope: string): Promise<void> {
  await section.locator(`label[for="${scope}-password-checkbox-OAuth2PasswordBearer"]`).click();
}

/** The operation block of `method path` (exact path: /users/me is not /users/me/items). */
function operationBlock(page: Page, method: string, path: string): Locator {
  return page.locator(`.opblock.opblock-${method}`).filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
}

/** Expands the operation, clicks "Try it out" and "Execute", and returns the request sent and the live response shown. */
async function tryItOut(page: Page, operation: Locator, requestUrl: string) {
  await operation.locator('.opblock-summary').click();
  await operation.locator('.try-out__btn').click();
  const sent = page.waitForRequest((request: Request) => request.url() === requestUrl);
  await operation.locator('.btn.execute').click();
  const request = await sent;

  // The live response: status (then "Undocumented" for codes the document does not list), body, header lines.
  const live = operation.locator('.live-responses-table tr.response');
  const status = live.locator('.response-col_status');
  await status.waitFor();
  return {
    request,
    status: (await status.innerText()).split('\n')[0].trim(),
    statusCell: await status.innerText(),
    body: await live.locator('.response-col_description pre.microlight').first().innerText(),
    headers: (await live.locator('.headerline').allInnerTexts()).map((line) => line.trim()),
  };
}
