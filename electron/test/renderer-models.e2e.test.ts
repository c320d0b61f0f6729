// Preferences → Transcription models in real Chromium: the app's own bridge handlers over a REAL
// model store in a temp data dir, a loopback server serving a generated ggml model, and a fake
// daemon whose model list reads that same store (as the real one does). Download with progress,
// cancel, add a file, use, remove with confirmation, a refused file; keyboard for the key steps.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  MODEL_CATALOGUE_ENV,
  openModelStore,
} from '@retaia/agent-core/processing/transcription/open-model-store.js';
import { FakeDaemonControl } from './support/fake-daemon-control.js';
import { startModelServer, type ModelServer } from './support/model-server.js';
import { buildRendererOnce } from './support/renderer-build.js';
import {
  bridgeInitScript,
  startTestBridge,
  type TestBridge,
} from './support/test-bridge-server.js';
import { chromiumSkipReason, launchChromium } from './support/chromium.js';
import { screenshot } from './support/screenshots.js';

const skip = chromiumSkipReason();

describe('Preferences manages whisper models', { skip }, () => {
  let root: string;
  let dataDir: string;
  let models: ModelServer;
  let browser: Browser;
  let bridge: TestBridge;
  let page: Page;
  const daemon = new FakeDaemonControl();
  const previousCatalogue = process.env[MODEL_CATALOGUE_ENV];
  const row = (name: string) => page.locator(`[data-testid="model-row"][data-model="${name}"]`);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'retaia-renderer-models-'));
    dataDir = join(root, 'data');
    models = await startModelServer(root, 700);
    process.env[MODEL_CATALOGUE_ENV] = models.catalogue;
    daemon.models = async () => {
      const store = await openModelStore(dataDir);
      return { dir: store.dir, models: await store.listModels() };
    };
    bridge = await startTestBridge({
      rendererDir: await buildRendererOnce(),
      daemon,
      agentDataDir: dataDir,
    });
    browser = await launchChromium();
    page = await browser.newPage({
      viewport: { width: 1280, height: 720 },
      colorScheme: 'light',
      locale: 'en-US',
    });
    await page.addInitScript(bridgeInitScript());
    await page.goto(bridge.url);
    await page.getByTestId('nav-preferences').click();
    await page.getByTestId('models-empty').waitFor();
  });

  after(async () => {
    if (previousCatalogue === undefined) delete process.env[MODEL_CATALOGUE_ENV];
    else process.env[MODEL_CATALOGUE_ENV] = previousCatalogue;
    await browser?.close();
    await bridge?.close();
    await models?.close();
    await rm(root, { recursive: true, force: true });
  });

  test('download with a progress bar (keyboard), then the model is installed and active', async () => {
    const start = page.locator(
      '[data-testid="catalogue-row"][data-model="tiny-test"] [data-testid="model-download-start"]',
    );
    await start.focus();
    await page.keyboard.press('Enter');
    await page
      .getByTestId('model-download-amount')
      .filter({ hasText: / [1-9]\d? %/ })
      .waitFor();
    await page.getByTestId('models').scrollIntoViewIfNeeded();
    await screenshot(page, 'models-01-download-progress');
    await row('tiny-test').getByTestId('model-active').waitFor();
    await page.getByTestId('model-download-outcome').filter({ hasText: 'tiny-test' }).waitFor();
    assert.ok(daemon.calls.includes('refreshCapabilities'), 'the daemon re-detected');
    assert.equal(
      await page
        .locator('[data-testid="catalogue-row"][data-model="tiny-test"]')
        .getByTestId('model-download-start')
        .count(),
      0,
      'an installed model is not offered again',
    );
  });

  test('a download can be canceled from the window', async () => {
    await page
      .locator(
        '[data-testid="catalogue-row"][data-model="slow-test"] [data-testid="model-download-start"]',
      )
      .click();
    await page.getByTestId('model-download-cancel').click();
    await page.getByTestId('model-download-outcome').filter({ hasText: 'canceled' }).waitFor();
    assert.equal(await page.getByTestId('model-action-error').count(), 0);
  });

  test('add a file: a non-model is refused in words, a model is added; then Use', async () => {
    const notAModel = join(root, 'notes.bin');
    await writeFile(notAModel, 'not a model');
    bridge.modelFileQueue.push(notAModel);
    await page.getByTestId('model-add-file').click();
    await page
      .getByTestId('model-action-error')
      .filter({ hasText: 'cannot be used as a whisper model' })
      .waitFor();
    await screenshot(page, 'models-02-refused-file');

    const own = join(root, 'ggml-mine.bin');
    await writeFile(own, models.bytes);
    bridge.modelFileQueue.push(own);
    await page.getByTestId('model-add-file').click();
    await row('mine').waitFor();
    assert.equal(await page.getByTestId('model-action-error').count(), 0, 'the error is cleared');
    assert.equal(await row('mine').getByTestId('model-active').count(), 0);
    await row('mine').getByTestId('model-use').click();
    await row('mine').getByTestId('model-active').waitFor();
    assert.equal(await row('tiny-test').getByTestId('model-active').count(), 0);
    const store = await openModelStore(dataDir);
    assert.equal((await store.activeModel())?.name, 'mine', 'the choice is on disk');
  });

  test('remove asks first (Escape keeps it), then deletes the downloaded file', async () => {
    const path = (await (await openModelStore(dataDir)).listModels()).find(
      (m) => m.name === 'tiny-test',
    )!.path;
    await row('tiny-test').getByTestId('model-remove').click();
    const confirm = row('tiny-test').getByTestId('model-remove-confirm');
    await confirm.waitFor();
    await screenshot(page, 'models-03-remove-confirm');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    assert.ok(existsSync(path), 'Escape removed nothing');

    await row('tiny-test').getByTestId('model-remove').click();
    await row('tiny-test').getByTestId('model-remove-yes').click();
    await row('tiny-test').waitFor({ state: 'detached' });
    assert.equal(existsSync(path), false);
    await row('mine').getByTestId('model-active').waitFor();
    await screenshot(page, 'models-04-installed');
  });
});
