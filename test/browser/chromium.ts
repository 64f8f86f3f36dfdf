import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium package (installed by .ci/run); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags for a closed network: without the background-networking ones Chromium's own connections
 * (updates, sync, field trials) are refused and slow it down.
 */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface LaunchedBrowser {
  context: BrowserContext;
  userDataDir: string;
}

/**
 * Headless Chromium with a fresh profile in a temporary folder; the page viewport is 1280×900.
 * `preferences` are written to the profile's `Default/Preferences` before launch (e.g. cookie settings).
 */
export async function launchBrowser(options: { preferences?: object } = {}): Promise<LaunchedBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'swagger-ui-e2e-'));
  try {
    if (options.preferences) {
      mkdirSync(join(userDataDir, 'Default'));
      writeFileSync(join(userDataDir, 'Default', 'Preferences'), JSON.stringify(options.preferences));
    }
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    return { context, userDataDir };
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
}

/** Closes the browser and removes its profile folder. */
export async function closeBrowser(browser: LaunchedBrowser | undefined): Promise<void> {
  if (!browser) return;
  await browser.context.close();
  rmSync(browser.userDataDir, { recursive: true, force: true });
}
