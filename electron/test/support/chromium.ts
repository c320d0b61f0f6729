// Launches the system Chromium through playwright-core; tests skip with this reason when absent.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.RETAIA_CHROMIUM ?? '/usr/bin/chromium';

export const chromiumSkipReason = (): string | undefined =>
  existsSync(CHROMIUM_PATH)
    ? undefined
    : `Chromium not found at ${CHROMIUM_PATH} (install the chromium package or set RETAIA_CHROMIUM)`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
