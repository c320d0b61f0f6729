// The desktop flows a first-time user meets, in real Chromium against an in-memory daemon: an
// unenrolled agent with no Core URL gets the address field and the Enrol button in the window
// (never a CLI instruction), the pairing code and the approval-page button; a failed job's
// reason is readable without hovering; "Daemon unreachable" offers Restart; French too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { FakeDaemonControl } from './support/fake-daemon-control.js';
import { buildRendererOnce } from './support/renderer-build.js';
import {
  bridgeInitScript,
  startTestBridge,
  type TestBridge,
} from './support/test-bridge-server.js';
import { chromiumSkipReason, launchChromium } from './support/chromium.js';
import { screenshot } from './support/screenshots.js';

const skip = chromiumSkipReason();

describe('desktop first run, failures and restart (fake daemon)', { skip }, () => {
  let browser: Browser;
  let daemon: FakeDaemonControl;
  let bridge: TestBridge;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    const dir = await buildRendererOnce();
    daemon = new FakeDaemonControl();
    delete daemon.config.core_url;
    daemon.auth = { state: 'not_enrolled' };
    bridge = await startTestBridge({
      rendererDir: dir,
      daemon,
      onRestart: () => {
        daemon.down = false;
      },
    });
    browser = await launchChromium();
    page = await browser.newPage({
      viewport: { width: 1280, height: 720 },
      colorScheme: 'light',
      locale: 'en-US',
    });
    await page.addInitScript(bridgeInitScript());
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(bridge.url);
    await page.getByTestId('enrol-card').waitFor();
  });

  after(async () => {
    await browser?.close();
    await bridge?.close();
  });

  test('first launch: Core address, Enrol, the code and the approval page, all in the window', async () => {
    const reason = (await page.getByTestId('daemon-reason').textContent()) ?? '';
    assert.match(reason, /Not enrolled yet/);
    assert.doesNotMatch(await page.locator('body').innerText(), /retaia-agent/);
    assert.equal(await page.getByTestId('enrol-start').isDisabled(), true, 'needs a Core first');
    await screenshot(page, 'first-run-01-no-core');

    await page.getByTestId('first-core-url').fill('http://127.0.0.1:8080');
    await page.getByTestId('first-core-url-save').click();
    await page.getByTestId('first-core-url').waitFor({ state: 'detached' });
    assert.equal(daemon.config.core_url, 'http://127.0.0.1:8080/api/v1');

    await page.getByTestId('enrol-start').click();
    await page.getByTestId('user-code').filter({ hasText: 'WDJB-MJHT' }).waitFor();
    assert.deepEqual(bridge.opened, ['http://127.0.0.1:8080/device?user_code=WDJB-MJHT']);
    await page.getByTestId('enrol-open-page').click();
    await waitUntil(() => bridge.opened.length === 2);
    await screenshot(page, 'first-run-02-pairing-code');

    daemon.approveEnrolment();
    await page.getByTestId('enrol-card').waitFor({ state: 'detached' });
    assert.match((await page.getByTestId('daemon-reason').textContent()) ?? '', /Waiting for jobs/);
  });

  test('a failed job says why in the list itself', async () => {
    const job = daemon.startJob({
      jobId: 'j-f',
      jobType: 'generate_preview',
      assetUuid: 'a-f',
      sourceName: 'INBOX/broken.mov',
      stage: 'probe',
    });
    job.finish('failed');
    const reason = page.getByTestId('history-reason').first();
    await reason.waitFor();
    assert.match(
      (await reason.innerText()) ?? '',
      /SOURCE_UNREADABLE — ffprobe could not read the file/,
    );
    assert.ok(await reason.isVisible());
    await screenshot(page, 'first-run-03-failed-job-reason');
  });

  test('daemon unreachable offers Restart, which brings it back', async () => {
    daemon.down = true;
    daemon.dropStreams();
    await page.getByTestId('daemon-state').filter({ hasText: 'Daemon unreachable' }).waitFor();
    const restart = page.getByTestId('restart-daemon');
    await restart.waitFor();
    await screenshot(page, 'first-run-04-daemon-unreachable');
    await restart.click();
    await page.getByTestId('pause-toggle').waitFor();
    assert.equal(bridge.restarts(), 1);
    assert.deepEqual(errors, []);
  });

  test('French: the pairing card and the restart speak French', async () => {
    daemon.auth = { state: 'not_enrolled' };
    await page.evaluate(() =>
      (
        window as unknown as { retaia: { setPreferences(p: object): Promise<unknown> } }
      ).retaia.setPreferences({ language: 'fr' }),
    );
    await page.reload();
    await page.getByTestId('enrol-card').waitFor();
    assert.match(
      (await page.getByTestId('enrol-card').innerText()) ?? '',
      /Relier cet agent à votre Core/i,
    );
    assert.equal((await page.getByTestId('enrol-start').innerText()).trim(), 'Inscrire');
    await screenshot(page, 'first-run-05-french');
    await page.evaluate(() =>
      (
        window as unknown as { retaia: { setPreferences(p: object): Promise<unknown> } }
      ).retaia.setPreferences({ language: 'en' }),
    );
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
