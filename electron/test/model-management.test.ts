// Whisper models managed from Preferences, through the whole main process (startDesktopApp on the
// fake-electron seam and its IPC handlers) with a REAL ModelStore in a temp data dir, a REAL
// loopback HTTP server serving a generated ggml model listed in a test catalogue
// (RETAIA_AGENT_MODEL_CATALOGUE, as the CLI tests do), and the file dialog answered by the fake.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODEL_CATALOGUE_ENV } from '@retaia/agent-core/processing/transcription/open-model-store.js';
import { startDesktopApp, type DesktopApp } from '../src/main/desktop-app.js';
import type { BridgeEvent, ModelCatalogueView, ModelChange } from '../src/shared/bridge-api.js';
import { EVENT_CHANNEL, invokeChannel } from '../src/shared/bridge-channels.js';
import { createFakeElectron } from './support/fake-electron.js';
import { FakeDaemonControl } from './support/fake-daemon-control.js';
import { startModelServer, type ModelServer } from './support/model-server.js';
import { waitFor } from './support/wait-for.js';

let root: string;
let models: ModelServer;
let modelBytes: Buffer;
const previousCatalogue = process.env[MODEL_CATALOGUE_ENV];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'retaia-desktop-models-'));
  models = await startModelServer(root);
  modelBytes = models.bytes;
  process.env[MODEL_CATALOGUE_ENV] = models.catalogue;
});

after(async () => {
  if (previousCatalogue === undefined) delete process.env[MODEL_CATALOGUE_ENV];
  else process.env[MODEL_CATALOGUE_ENV] = previousCatalogue;
  await models.close();
  await rm(root, { recursive: true, force: true });
});

const running: DesktopApp[] = [];
afterEach(async () => {
  for (const app of running.splice(0)) await app.quit();
});

async function launch() {
  const dataDir = await mkdtemp(join(root, 'data-'));
  const fake = createFakeElectron();
  const daemon = new FakeDaemonControl();
  const app = await startDesktopApp(fake.api, {
    distDir: '/app/dist',
    assetsDir: '/app/assets',
    agentDataDir: dataDir,
    powerPollMs: 60_000,
    linkRetryMs: 20,
    launcher: { connect: async () => daemon, spawn: async () => undefined, pollMs: 5 },
  });
  running.push(app);
  await waitFor('first status', () => app.status() !== undefined);
  const call = <T>(method: string, ...args: unknown[]) =>
    fake.invoke(invokeChannel(method as never), ...args) as Promise<T>;
  const downloadEvents = () =>
    fake.state.windows[0]!.sent.filter((s) => s.channel === EVENT_CHANNEL)
      .map((s) => s.args[0] as BridgeEvent)
      .flatMap((e) => (e.type === 'model_download' ? [e.download] : []));
  const refreshes = () => daemon.calls.filter((c) => c === 'refreshCapabilities').length;
  return { fake, daemon, dataDir, call, downloadEvents, refreshes };
}

test('download a catalogue model with progress, use it, then remove it: the daemon follows each change', async () => {
  const { call, dataDir, downloadEvents, refreshes } = await launch();
  const catalogue = await call<ModelCatalogueView>('getModelCatalogue');
  assert.deepEqual(
    catalogue.items.map((i) => [i.name, i.sizeBytes, i.installed]),
    [
      ['tiny-test', modelBytes.length, false],
      ['slow-test', modelBytes.length, false],
    ],
  );

  const change = await call<ModelChange>('downloadModel', 'tiny-test');
  assert.equal(change.daemonProblem, undefined);
  const model = change.models.models.find((m) => m.name === 'tiny-test');
  assert.ok(model?.available && model.active, 'first model becomes active');
  assert.equal(model.source, 'downloaded');
  assert.ok(model.path.startsWith(join(dataDir, 'models', 'whisper')));
  assert.deepEqual(await readFile(model.path), modelBytes);
  const events = downloadEvents();
  assert.ok(
    events.some((e) => e.state === 'downloading' && (e.percent ?? 0) > 0 && (e.percent ?? 0) < 100),
    `progress between 0 and 100 % was shown: ${JSON.stringify(events)}`,
  );
  assert.equal(events.at(-1)?.state, 'done');
  assert.equal(refreshes(), 1, 'the daemon re-detects after the download');
  assert.equal((await call<ModelCatalogueView>('getModelCatalogue')).items[0]?.installed, true);

  const used = await call<ModelChange>('useModel', 'tiny-test');
  assert.equal(used.models.models.find((m) => m.active)?.name, 'tiny-test');
  assert.equal(refreshes(), 2);

  await assert.rejects(call('useModel', 'nope'), /no model named "nope"/);
  const removed = await call<ModelChange>('removeModel', 'tiny-test');
  assert.deepEqual(removed.models.models, []);
  assert.equal(existsSync(model.path), false, 'a downloaded file is deleted with its entry');
  assert.equal(refreshes(), 3);
});

test('add a model file from the main process dialog; a non-model file is refused in human words', async () => {
  const { call, fake, refreshes } = await launch();
  fake.state.dialogResult = { canceled: true, filePaths: [] };
  assert.deepEqual(await call('addModelFile'), { canceled: true });

  const notAModel = join(root, 'holiday.bin');
  await writeFile(notAModel, 'these are not model weights');
  fake.state.dialogResult = { canceled: false, filePaths: [notAModel] };
  await assert.rejects(call('addModelFile'), /cannot be used as a whisper model/);
  assert.equal(refreshes(), 0, 'nothing changed: the daemon is left alone');

  const own = join(root, 'ggml-mine.bin');
  await writeFile(own, modelBytes);
  fake.state.dialogResult = { canceled: false, filePaths: [own] };
  // Whatever the renderer passes is ignored: only the dialog's answer is used.
  const added = (await call<ModelChange>('addModelFile', '/etc/passwd')).models.models;
  assert.deepEqual(
    added.map((m) => [m.name, m.source, m.path, m.active]),
    [['mine', 'imported', own, true]],
  );
  assert.equal(refreshes(), 1);
  await call('removeModel', 'mine');
  assert.equal(existsSync(own), true, "removing never deletes the user's own file");
});

test('a download can be canceled, and a second one waits for the first', async () => {
  const { call, downloadEvents } = await launch();
  const pending = call('downloadModel', 'slow-test');
  await waitFor('download started', () => downloadEvents().some((e) => e.name === 'slow-test'));
  await assert.rejects(call('downloadModel', 'tiny-test'), /"slow-test" is downloading/);
  await assert.rejects(call('downloadModel', '../../etc'), /not in the list/);
  await call('cancelModelDownload');
  await assert.rejects(pending, /Download canceled/);
  assert.equal(downloadEvents().at(-1)?.state, 'canceled');
  const catalogue = await call<ModelCatalogueView>('getModelCatalogue');
  assert.equal(catalogue.download?.state, 'canceled');
  assert.equal(catalogue.items.find((i) => i.name === 'slow-test')?.installed, false);
});

test('with no daemon reachable the change is still made and the reason is reported', async () => {
  const { call, daemon } = await launch();
  daemon.refreshCapabilities = async () => {
    throw new Error('connect ECONNREFUSED');
  };
  const change = await call<ModelChange>('downloadModel', 'tiny-test');
  assert.equal(change.models.models[0]?.name, 'tiny-test');
  assert.match(change.daemonProblem ?? '', /will use the change when it starts/);
});
