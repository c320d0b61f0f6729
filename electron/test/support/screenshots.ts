// Where UI tests leave screenshots for a human to look at (gitignored).
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

export const SCREENSHOT_DIR = fileURLToPath(
  new URL('../../../test-artifacts/screenshots/', import.meta.url),
);

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  // The app scrolls inside its own panes, so the viewport is what a user sees.
  await page.screenshot({ path });
  return path;
}
