// The main UI e2e: the built renderer in real Chromium, driven through the app's bridge handlers
// against the REAL agent daemon, which talks to a REAL core-server. Enrol (approved through the
// Core operator API), add a mount (valid and invalid markers inline), pause/resume, and watch a
// real media job progress to done. Screenshots of each screen go to test-artifacts/screenshots.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import pino from 'pino';
import { startCoreServer, type RunningCoreServer } from '@retaia/core-server';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import { ControlClient } from '@retaia/agent-core/runtime/control-client.js';
import { startDaemon, type RunningDaemon } from '@retaia/agent-core/runtime/daemon.js';
import { buildRendererOnce } from './support/renderer-build.js';
import {
  bridgeInitScript,
  startTestBridge,
  type TestBridge,
} from './support/test-bridge-server.js';
import { chromiumSkipReason, launchChromium } from './support/chromium.js';
import { screenshot } from './support/screenshots.js';
import { waitFor } from './support/wait-for.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

const sample = sharedMedia('video/sample-h264.mp4');
const skip = chromiumSkipReason() ?? sample.skipReason;

describe('desktop UI ↔ real daemon ↔ real core-server', { skip }, () => {
  let root: string;
  let core: RunningCoreServer;
  let daemon: RunningDaemon;
  let control: ControlClient;
  let bridge: TestBridge;
  let browser: Browser;
  let page: Page;
  let storageRoot: string;

  before(async () => {
    root = makeTempDir('retaia-ui-stack-');
    storageRoot = join(root, 'nas');
    const silent = pino({ level: 'silent' });
    core = await startCoreServer({
      storageRoot,
      initStorage: true,
      storageId: 'nas-main',
      dataDir: join(root, 'core-data'),
      port: 0,
      stabilityWindowMs: 0,
      scanIntervalMs: 0,
      deviceFlowIntervalSeconds: 0,
      minPollIntervalSeconds: 1,
      // A failed job is final: no retry churn while the test waits for the agent to go idle.
      maxAttempts: 1,
      logger: silent,
    });
    await mkdir(join(root, 'not-a-share'), { recursive: true });
    const configPath = join(root, 'agent-config.json');
    await writeFile(
      configPath,
      JSON.stringify({ core_url: core.url, agent_name: 'studio-laptop', max_parallel_jobs: 1 }),
    );
    daemon = await startDaemon({
      configPath,
      dataDir: join(root, 'agent-data'),
      intervals: {
        policyMs: 500,
        pollMs: 250,
        heartbeatMs: 1000,
        shutdownGraceMs: 500,
        reconnectMs: 200,
        enrolPollMinMs: 100,
      },
      backoff: { baseMs: 50, capMs: 500 },
      logger: undefined,
      logDestination: { write: () => true } as never,
      secretStore: 'file',
      workRoot: root,
    });
    control = new ControlClient(daemon.controlEndpoint);
    bridge = await startTestBridge({
      rendererDir: await buildRendererOnce(),
      daemon: control,
    });
    browser = await launchChromium();
    page = await browser.newPage({
      viewport: { width: 980, height: 700 },
      colorScheme: 'light',
      locale: 'en-US',
    });
    await page.addInitScript(bridgeInitScript());
    await page.goto(bridge.url);
    await page.getByTestId('auth-state').waitFor();
  });

  after(async () => {
    await browser?.close();
    await bridge?.close();
    await daemon?.stop();
    await core?.close();
  });

  test('enrol through the browser device flow, approved by the Core operator', async () => {
    assert.equal(await page.getByTestId('auth-state').textContent(), 'Not enrolled');
    await screenshot(page, 'stack-01-control-center-not-enrolled');
    await page.getByTestId('nav-preferences').click();
    await page.getByTestId('enrol-start').click();
    await page.getByTestId('user-code').waitFor();
    const userCode = (await page.getByTestId('user-code').textContent()) ?? '';
    assert.match(userCode, /\S{4,}/);
    assert.equal(bridge.opened.length, 1, 'the verification page was opened in the browser');
    assert.ok(bridge.opened[0]!.startsWith(core.url), bridge.opened[0]);
    await screenshot(page, 'stack-02-enrolment-user-code');
    await core.operator.approveDevice(userCode);
    await page
      .getByTestId('enrol-outcome')
      .filter({ hasText: 'Approved' })
      .waitFor({ timeout: 20_000 });
    await page
      .getByTestId('enrol-auth')
      .filter({ hasText: 'Enrolled' })
      .waitFor({ timeout: 20_000 });
    await screenshot(page, 'stack-03-enrolment-approved');
  });

  test('add a mount: the Core marker is accepted inline, a folder without one is refused', async () => {
    bridge.pickQueue.push(join(root, 'not-a-share'), storageRoot);
    await page.getByTestId('mount-add').click();
    await page.getByTestId('mount-id').fill('nas-main');
    await page.getByTestId('mount-browse').click();
    await page.getByTestId('mount-problem').waitFor();
    await screenshot(page, 'stack-04-mount-invalid-marker');
    await page.getByTestId('mount-browse').click();
    await page.getByTestId('mount-ok').waitFor();
    assert.match((await page.getByTestId('mount-ok').textContent()) ?? '', /nas-main/);
    await page.getByTestId('save').click();
    await page.getByTestId('save-state').filter({ hasText: 'Settings saved' }).waitFor();
    await screenshot(page, 'stack-05-mount-saved');
    assert.deepEqual((await control.getConfig()).config, {
      ...((await control.getConfig()).config as object),
      storage_mounts: { 'nas-main': storageRoot },
    });
  });

  test('pause holds new work; resume lets the daemon run', async () => {
    await page.getByTestId('nav-control').click();
    await waitFor(
      'running after enrolment',
      async () => (await control.status()).state === 'running',
      20_000,
    );
    await page.getByTestId('pause-toggle').click();
    await page.getByTestId('daemon-state').filter({ hasText: 'Paused' }).waitFor();
    assert.deepEqual((await control.status()).pauseReasons, ['user']);
    // A file dropped while paused is discovered by Core but not claimed.
    await copyFile(sample.path!, join(storageRoot, 'INBOX', 'A001_C001.mp4'));
    await core.scanNow();
    await core.scanNow();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await control.jobs()).current.length, 0, 'nothing claimed while paused');
    await screenshot(page, 'stack-06-paused');
    await page.getByTestId('pause-toggle').click();
    await page.getByTestId('daemon-state').filter({ hasNotText: 'Paused' }).waitFor();
  });

  test('a real media job shows its stage and progress, then lands in history as done', async () => {
    await page.getByTestId('current-job').first().waitFor({ timeout: 30_000 });
    // Catch an encode mid-way for the screenshot (polled from here: the page's CSP forbids the
    // eval that waitForFunction would need).
    await waitFor(
      'a job with a percentage',
      async () => {
        const values = await page
          .locator('[data-testid=current-job] [role=progressbar]')
          .evaluateAll((bars) => bars.map((b) => Number(b.getAttribute('aria-valuenow'))));
        return values.some((v) => v > 0 && v < 100);
      },
      30_000,
    );
    await screenshot(page, 'stack-07-job-in-progress');
    // Every planned job for the clip runs to completion (facts, preview, thumbnails, waveform).
    await page.getByTestId('history-row').nth(3).waitFor({ timeout: 120_000 });
    await waitFor(
      'all jobs done',
      async () => (await control.jobs()).current.length === 0,
      120_000,
    );
    await page.getByTestId('daemon-state').filter({ hasText: 'Idle' }).waitFor({ timeout: 10_000 });
    const rows = await page.getByTestId('history-row').allTextContents();
    assert.ok(rows.length >= 3, rows.join('\n'));
    // The UI shows exactly what the daemon recorded, and the clip's jobs did complete.
    const history = (await control.jobs()).history;
    const failed = history.filter((h) => h.outcome !== 'completed');
    if (failed.length)
      console.log(
        '[desktop e2e] jobs not completed:',
        failed.map((h) => `${h.jobType}: ${h.errorCode} ${h.message}`),
      );
    for (const row of rows) assert.match(row, /A001_C001\.mp4.*Done/, row);
    assert.deepEqual(failed, []);
    assert.deepEqual(history.map((h) => h.jobType).sort(), [
      'extract_facts',
      'generate_audio_waveform',
      'generate_preview',
      'generate_thumbnails',
    ]);
    await screenshot(page, 'stack-08-jobs-done');
  });
});
