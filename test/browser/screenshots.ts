import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Locator, Page } from 'playwright-core';

/** Test artifacts (git-ignored): screenshots of each run. */
export const ARTIFACTS_DIR = join(__dirname, '..', 'artifacts');

/** The README's picture, rewritten by `UPDATE_SCREENSHOTS=1 npx jest test/browser`. */
export const README_SCREENSHOT = join(__dirname, '..', '..', 'docs', 'images', 'authorize-dialog.png');
export const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';

/** A screenshot of the viewport (or of the whole page) into test/artifacts/. */
export async function saveArtifact(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS_DIR, name), ...options });
}

/**
 * The Authorize dialog alone, every scheme visible, into docs/images/. Swagger UI caps the dialog's
 * content at 540px with a scroll bar: the cap is lifted, and the viewport made tall enough, for the
 * picture only; both are restored afterwards.
 */
export async function saveReadmeScreenshot(page: Page, dialog: Locator): Promise<void> {
  const viewport = page.viewportSize();
  const uncapped = await page.addStyleTag({ content: '.dialog-ux .modal-ux-content { max-height: none !important; }' });
  await page.evaluate('document.activeElement?.blur()'); // no focus ring in the picture
  const box = await dialog.boundingBox();
  if (!viewport || !box) throw new Error('The Authorize dialog is not displayed');

  await page.setViewportSize({ width: viewport.width, height: Math.ceil(box.height) + 80 });
  mkdirSync(dirname(README_SCREENSHOT), { recursive: true });
  await dialog.screenshot({ path: README_SCREENSHOT });

  await uncapped.evaluate((style) => style.remove());
  await page.setViewportSize(viewport);
}
