// The UI in real Chromium against the REAL agent daemon (agent-core startDaemon, reached through
// the real ControlClient by the app's own bridge handlers): mount validation against real
// .retaia markers, pause/resume, config refused and saved, diagnostics.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ControlClient } from '@retaia/agent-core/runtime/control-client.js';
import { startDaemon, type RunningDaemon } from '@retaia/agent-core/runtime/daemon.js';
import { ModelStore } from '@retaia/agent-core/processing/transcription/model-store.js';
import { writeRandomWhisperModel } from '@retaia/agent-core/processing/transcription/testing/random-whisper-model.js';
import { buildRendererOnce } from './support/renderer-build.js';
import {
  bridgeInitScript,
  startTestBridge,
  type TestBridge,
} from './support/test-bridge-server.js';
import { chromiumSkipReason, launchChromium } from './support/chromium.js';
import { screenshot } from './support/screenshots.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

describe('renderer against the real daemon', { skip: chromiumSkipReason() }, () => {
  let root: string;
  let daemon: RunningDaemon;
  let bridge: TestBridge;
  let browser: Browser;
  let page: Page;
  let goodMount: string;
  let badMount: string;

  before(async () => {
    root = makeTempDir('retaia-ui-daemon-');
    goodMount = join(root, 'nas');
    badMount = join(root, 'usb-disk');
    await mkdir(join(goodMount, 'INBOX'), { recursive: true });
    await mkdir(badMount, { recursive: true });
    await writeFile(
      join(goodMount, '.retaia'),
      JSON.stringify({
        version: 2,
        storage_id: 'nas-main',
        paths: { inbox: 'INBOX', archive: 'ARCHIVE', rejects: 'REJECTS' },
      }),
    );
    await writeFile(
      join(badMount, '.retaia'),
      JSON.stringify({ version: 2, storage_id: 'other-share', paths: { inbox: 'INBOX' } }),
    );
    const configPath = join(root, 'config.json');
    // Loopback port 9 (discard): nothing answers, so the daemon reports the Core unreachable.
    await writeFile(
      configPath,
      JSON.stringify({ core_url: 'http://127.0.0.1:9', storage_mounts: {} }),
    );
    daemon = await startDaemon({
      configPath,
      dataDir: join(root, 'data'),
      detectCapabilities: async () => ({ capabilities: ['media.facts@1'], problems: [] }),
      intervals: {
        policyMs: 500,
        pollMs: 200,
        heartbeatMs: 500,
        shutdownGraceMs: 300,
        reconnectMs: 200,
      },
      backoff: { baseMs: 50, capMs: 500 },
      logDestination: { write: () => true } as unknown as NodeJS.WritableStream as never,
      secretStore: 'file',
    });
    bridge = await startTestBridge({
      rendererDir: await buildRendererOnce(),
      daemon: new ControlClient(daemon.controlEndpoint),
    });
    browser = await launchChromium();
    page = await browser.newPage({
      viewport: { width: 960, height: 680 },
      colorScheme: 'light',
      locale: 'en-US',
    });
    await page.addInitScript(bridgeInitScript());
    await page.goto(bridge.url);
    await page.getByTestId('daemon-state').filter({ hasNotText: 'unreachable' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await bridge?.close();
    await daemon?.stop();
  });

  test('control center shows the daemon state with its reason and the auth state', async () => {
    const status = await new ControlClient(daemon.controlEndpoint).status();
    assert.equal(await page.getByTestId('auth-state').textContent(), 'Not enrolled');
    // The daemon's reason names the CLI; the window says it in its own words and offers Enrol.
    assert.match(status.reason ?? '', /not enrolled/);
    await page.getByTestId('daemon-reason').filter({ hasText: 'Not enrolled yet' }).waitFor();
    await page.getByTestId('enrol-card').waitFor();
    assert.doesNotMatch(await page.locator('body').innerText(), /retaia-agent enrol/);
    await screenshot(page, 'daemon-01-control-center-not-enrolled');
  });

  test('pause and resume reach the daemon', async () => {
    const control = new ControlClient(daemon.controlEndpoint);
    await page.getByTestId('pause-toggle').click();
    // Not enrolled, the daemon stays "degraded" (the stronger state) but records the user pause.
    await page.getByTestId('pause-toggle').filter({ hasText: 'Resume' }).waitFor();
    await page.getByTestId('daemon-reason').filter({ hasText: 'Paused by you' }).waitFor();
    assert.ok((await control.status()).pauseReasons.includes('user'));
    await screenshot(page, 'daemon-02-paused');
    await page.getByTestId('pause-toggle').click();
    await page.getByTestId('pause-toggle').filter({ hasText: 'Pause' }).waitFor();
    assert.ok(!(await control.status()).pauseReasons.includes('user'));
  });

  test('mounts: real markers validated inline, wrong one refused, valid config saved to the file', async () => {
    await page.getByTestId('nav-preferences').click();
    bridge.pickQueue.push(goodMount, badMount);
    await page.getByTestId('mount-add').click();
    await page.getByTestId('mount-id').nth(0).fill('nas-main');
    await page.getByTestId('mount-browse').nth(0).click();
    await page.getByTestId('mount-ok').waitFor();
    await page.getByTestId('mount-add').click();
    await page.getByTestId('mount-id').nth(1).fill('usb-disk');
    await page.getByTestId('mount-browse').nth(1).click();
    await page.getByTestId('mount-problem').waitFor();
    const problem = (await page.getByTestId('mount-problem').textContent()) ?? '';
    assert.match(
      problem,
      /other-share|usb-disk/,
      `the daemon's marker problem is shown: ${problem}`,
    );
    await screenshot(page, 'daemon-03-mounts-validation');
    await page.getByRole('button', { name: 'Remove' }).nth(1).click();
    await page.getByTestId('parallel-jobs').fill('2');
    await page.getByTestId('save').click();
    await page.getByTestId('save-state').filter({ hasText: 'Settings saved' }).waitFor();
    const saved = JSON.parse(await readFile(join(root, 'config.json'), 'utf8')) as {
      storage_mounts: object;
      max_parallel_jobs: number;
    };
    assert.deepEqual(saved.storage_mounts, { 'nas-main': goodMount });
    assert.equal(saved.max_parallel_jobs, 2);
    await screenshot(page, 'daemon-04-preferences-saved');
  });

  test('an invalid value is refused by the shared schema before it reaches the daemon', async () => {
    await page.getByTestId('parallel-jobs').fill('99');
    await page.getByText('max_parallel_jobs must be at most 32').waitFor();
    await page.getByTestId('save').click();
    assert.equal(
      await page.getByTestId('save-state').textContent(),
      'Not saved: fix the highlighted fields.',
    );
    const saved = JSON.parse(await readFile(join(root, 'config.json'), 'utf8')) as {
      max_parallel_jobs: number;
    };
    assert.equal(saved.max_parallel_jobs, 2, 'the file is untouched');
    await page.getByRole('button', { name: 'Revert' }).click();
  });

  test('copy diagnostics returns the daemon text without secrets', async () => {
    await page.getByTestId('nav-control').click();
    await page.getByRole('button', { name: 'Copy diagnostics' }).click();
    await page.getByTestId('notice').waitFor();
    const text = bridge.clipboard.at(-1) ?? '';
    assert.ok(text.length > 20, 'diagnostics text copied');
    const secrets = await readFile(join(root, 'data', 'secrets.json'), 'utf8').catch(() => '');
    for (const value of Object.values(
      (secrets ? JSON.parse(secrets) : {}) as Record<string, unknown>,
    )) {
      if (typeof value === 'string' && value.length > 8)
        assert.ok(!text.includes(value), 'no secret in diagnostics');
    }
  });
  test('transcription models: empty hint, then a model added on disk shows after re-detect', async () => {
    await page.getByTestId('nav-preferences').click();
    await page.getByTestId('models-empty').waitFor();
    const file = join(root, 'ggml-tiny-test.bin');
    await writeRandomWhisperModel(file, { state: 16, layers: 1 });
    // What `retaia-agent models add` does: the store on disk changes, the daemon is asked to re-detect.
    await new ModelStore({ dataDir: join(root, 'data') }).addModelFile(file, { activate: true });
    await page.getByTestId('models-redetect').click();
    const row = page.locator('[data-testid="model-row"][data-model="tiny-test"]');
    await row.waitFor();
    await row.getByTestId('model-active').waitFor();
    assert.match((await row.textContent()) ?? '', /ggml-tiny-test\.bin/);
    await page.getByTestId('models').scrollIntoViewIfNeeded();
    await screenshot(page, 'daemon-05-preferences-models');
  });
});
