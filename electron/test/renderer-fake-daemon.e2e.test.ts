// The UI in real Chromium against an in-memory daemon: every screen and the flows whose timing
// a real daemon cannot make deterministic (disconnect, failures, French, dark mode).
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

describe('renderer against a fake daemon', { skip }, () => {
  let browser: Browser;
  let daemon: FakeDaemonControl;
  let bridge: TestBridge;
  let page: Page;

  before(async () => {
    const dir = await buildRendererOnce();
    daemon = new FakeDaemonControl();
    daemon.markers.set('/mnt/nas', 'nas-main');
    daemon.history.push({
      jobId: 'j-0',
      jobType: 'extract_facts',
      assetUuid: 'a-0',
      sourceName: 'INBOX/A001_C003.MP4',
      outcome: 'completed',
      startedAt: '2025-01-01T09:00:00Z',
      finishedAt: '2025-01-01T09:00:04Z',
      durationMs: 4200,
    });
    bridge = await startTestBridge({ rendererDir: dir, daemon });
    browser = await launchChromium();
    page = await browser.newPage({
      viewport: { width: 960, height: 680 },
      colorScheme: 'light',
      locale: 'en-US',
    });
    await page.addInitScript(bridgeInitScript());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(bridge.url);
    await page.getByTestId('daemon-state').filter({ hasText: 'Idle' }).waitFor();
    assert.deepEqual(errors, []);
  });

  after(async () => {
    await browser?.close();
    await bridge?.close();
  });

  test('control center shows state, history and connection', async () => {
    assert.equal(await page.getByTestId('history-row').count(), 1);
    assert.match(
      (await page.getByTestId('history-row').first().textContent()) ?? '',
      /A001_C003\.MP4.*Facts.*Done.*4 s/,
    );
    assert.equal(await page.getByTestId('auth-state').textContent(), 'Enrolled');
    await screenshot(page, 'fake-01-control-center-idle');
  });

  test('a job shows its stage and progress, then lands in history', async () => {
    const job = daemon.startJob({
      jobId: 'j-1',
      jobType: 'generate_preview',
      assetUuid: 'a-1',
      sourceName: 'INBOX/interview.mov',
      stage: 'encoding',
    });
    job.progress(42, 'encoding');
    await page.getByTestId('current-job').waitFor();
    await page.locator('[role=progressbar][aria-valuenow="42"]').waitFor();
    assert.equal(await page.getByTestId('daemon-state').textContent(), 'Working');
    await screenshot(page, 'fake-02-job-in-progress');
    job.finish('failed');
    await page.getByTestId('history-row').nth(1).waitFor();
    assert.match(
      (await page.getByTestId('history-row').first().textContent()) ?? '',
      /interview\.mov.*Failed/,
    );
    assert.equal(await page.getByTestId('current-job').count(), 0);
  });

  test('pause and resume go through the bridge with the user reason', async () => {
    await page.getByTestId('pause-toggle').click();
    await page.getByTestId('daemon-state').filter({ hasText: 'Paused' }).waitFor();
    assert.equal(await page.getByTestId('daemon-reason').textContent(), 'Paused by you');
    await screenshot(page, 'fake-03-paused');
    await page.getByTestId('pause-toggle').click();
    await page.getByTestId('daemon-state').filter({ hasText: 'Idle' }).waitFor();
    assert.ok(daemon.calls.includes('pause:user') && daemon.calls.includes('resume:user'));
  });

  test('copy diagnostics puts the daemon text on the clipboard', async () => {
    await page.getByRole('button', { name: 'Copy diagnostics' }).click();
    await page.getByTestId('notice').waitFor();
    assert.match(bridge.clipboard.at(-1) ?? '', /retaia-agent 0\.1\.0/);
  });

  test('preferences: invalid Core URL is refused inline with the shared schema message', async () => {
    await page.getByTestId('nav-preferences').click();
    await page.getByTestId('core-url').fill('ftp://nas');
    await page.getByTestId('core-url-error').waitFor();
    assert.match(
      (await page.getByTestId('core-url-error').textContent()) ?? '',
      /unsupported scheme "ftp:"/,
    );
    await page.getByTestId('save').click();
    assert.equal(
      await page.getByTestId('save-state').textContent(),
      'Not saved: fix the highlighted fields.',
    );
    assert.ok(!daemon.calls.includes('saveConfig'), 'an invalid config never reaches the daemon');
    await screenshot(page, 'fake-04-preferences-invalid-url');
    await page.getByRole('button', { name: 'Revert' }).click();
  });

  test('mounts: folder picker, valid and invalid markers inline, then save', async () => {
    bridge.pickQueue.push('/mnt/nas', '/tmp/not-a-share');
    await page.getByTestId('mount-add').click();
    await page.getByTestId('mount-id').nth(0).fill('nas-main');
    await page.getByTestId('mount-browse').nth(0).click();
    await page.getByTestId('mount-ok').waitFor();
    await page.getByTestId('mount-add').click();
    await page.getByTestId('mount-id').nth(1).fill('archive');
    await page.getByTestId('mount-browse').nth(1).click();
    await page.getByTestId('mount-problem').waitFor();
    assert.match(
      (await page.getByTestId('mount-problem').textContent()) ?? '',
      /no \.retaia marker/,
    );
    await screenshot(page, 'fake-05-mounts-validation');
    await page.getByRole('button', { name: 'Remove' }).nth(1).click();
    await page.getByTestId('save').click();
    await page.getByTestId('save-state').filter({ hasText: 'Settings saved' }).waitFor();
    assert.deepEqual(daemon.config.storage_mounts, { 'nas-main': '/mnt/nas' });
  });

  test('enrolment shows the user code and follows approval', async () => {
    daemon.auth = { state: 'not_enrolled' };
    await page.reload();
    await page.getByTestId('nav-preferences').click();
    await page.getByTestId('enrol-start').click();
    await page.getByTestId('user-code').waitFor();
    assert.equal(await page.getByTestId('user-code').textContent(), 'WDJB-MJHT');
    assert.deepEqual(bridge.opened, ['http://127.0.0.1:8080/device?user_code=WDJB-MJHT']);
    await screenshot(page, 'fake-06-enrolment-pending');
    daemon.approveEnrolment();
    await page.getByTestId('enrol-outcome').filter({ hasText: 'Approved' }).waitFor();
    await page.getByTestId('enrol-auth').filter({ hasText: 'Enrolled' }).waitFor();
  });

  test('transcription models: inventory with size, active flag and problem; empty offers downloads', async () => {
    await page.getByTestId('nav-preferences').click();
    const rows = page.getByTestId('model-row');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2);
    const base = page.locator('[data-testid="model-row"][data-model="base"]');
    assert.match((await base.textContent()) ?? '', /base.*ggml-base\.bin.*141 MiB.*Active/s);
    const broken = page.locator('[data-testid="model-row"][data-model="small-broken"]');
    assert.equal(await broken.getByTestId('model-active').count(), 0);
    assert.equal(
      await broken.getByTestId('model-problem').textContent(),
      'not a ggml model (bad magic)',
    );
    await page.getByTestId('models').scrollIntoViewIfNeeded();
    await screenshot(page, 'fake-12-preferences-models');

    // After a CLI change the user re-detects: the daemon re-registers, the list reloads.
    const saved = daemon.modelsView;
    daemon.modelsView = { dir: saved.dir, models: [] };
    await page.getByTestId('models-redetect').click();
    await page.getByTestId('models-empty').waitFor();
    assert.ok(daemon.calls.includes('refreshCapabilities'));
    // Empty is not a dead end: the catalogue offers a download (no terminal needed).
    await page
      .locator(
        '[data-testid="catalogue-row"][data-model="base"] [data-testid="model-download-start"]',
      )
      .waitFor();
    await page.getByTestId('models').scrollIntoViewIfNeeded();
    await screenshot(page, 'fake-13-preferences-models-empty');
    daemon.modelsView = saved;
    await page.getByTestId('models-redetect').click();
    await rows.first().waitFor();
  });

  test('French, from the language preference', async () => {
    await page.getByTestId('language').selectOption('fr');
    await page.getByTestId('nav-control').filter({ hasText: 'Centre de contrôle' }).waitFor();
    await page.getByTestId('nav-control').click();
    await page.getByTestId('daemon-state').filter({ hasText: 'Inactif' }).waitFor();
    await screenshot(page, 'fake-07-control-center-fr');
    await page.getByTestId('nav-preferences').click();
    await screenshot(page, 'fake-08-preferences-fr');
    await page.getByTestId('language').selectOption('en');
  });

  test('dark mode follows the system', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.getByTestId('nav-control').click();
    const bg = await page.evaluate('getComputedStyle(document.documentElement).backgroundColor');
    assert.equal(bg, 'rgb(28, 28, 30)');
    await screenshot(page, 'fake-09-control-center-dark');
    await page.getByTestId('nav-preferences').click();
    await screenshot(page, 'fake-10-preferences-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('a lost daemon is shown as unreachable and recovers', async () => {
    await page.getByTestId('nav-control').click();
    daemon.down = true;
    daemon.dropStreams();
    await page.getByTestId('daemon-state').filter({ hasText: 'Daemon unreachable' }).waitFor();
    await screenshot(page, 'fake-11-daemon-unreachable');
    daemon.down = false;
    await page.getByTestId('daemon-state').filter({ hasText: 'Idle' }).waitFor({ timeout: 15_000 });
  });
});
