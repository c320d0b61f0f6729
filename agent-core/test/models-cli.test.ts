// `retaia-agent models …` as users run it: a real child process through bin/retaia-agent.js,
// downloading over real loopback HTTP a generated (random-weight, valid-header) ggml model
// listed in a test catalogue (RETAIA_AGENT_MODEL_CATALOGUE), with no daemon running.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { writeRandomWhisperModel } from '../src/processing/transcription/testing/random-whisper-model.js';
import { MODEL_CATALOGUE_ENV } from '../src/processing/transcription/open-model-store.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/retaia-agent.js', import.meta.url));

interface ModelJson {
  name: string;
  path: string;
  sizeBytes: number;
  sha256: string;
  active: boolean;
  source: string;
  available: boolean;
}

let root: string;
let server: Server;
let catalogue: string;
let modelFile: string;
let modelSha: string;
let modelSize: number;
const requests: string[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'retaia-models-cli-'));
  modelFile = join(root, 'ggml-tiny-test.bin');
  modelSize = await writeRandomWhisperModel(modelFile, { state: 16, layers: 1 });
  const bytes = await readFile(modelFile);
  modelSha = createHash('sha256').update(bytes).digest('hex');
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url !== '/ggml-tiny-test.bin') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': bytes.length,
    });
    res.end(bytes);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ggml-tiny-test.bin`;
  catalogue = join(root, 'catalogue.json');
  await writeFile(
    catalogue,
    JSON.stringify([
      {
        name: 'tiny-test',
        description: 'random weights',
        url,
        sha256: modelSha,
        sizeBytes: modelSize,
      },
      // Same bytes, wrong pin: what a tampered or changed upstream file looks like.
      {
        name: 'bad-hash',
        description: 'wrong pin',
        url,
        sha256: '0'.repeat(64),
        sizeBytes: modelSize,
      },
    ]),
  );
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(root, { recursive: true, force: true });
});

/** A fresh agent data dir per test, so each starts with an empty model inventory. */
async function dataDir(): Promise<string> {
  return mkdtemp(join(root, 'data-'));
}

async function models(
  dir: string,
  ...args: string[]
): Promise<{ code: number; out: unknown; stderr: string }> {
  // --socket inside the temp dir: never reach a daemon someone else runs on this machine.
  const argv = [
    BIN,
    '--data-dir',
    dir,
    '--config',
    join(dir, 'config.json'),
    '--socket',
    join(dir, 'agent.sock'),
    '--json',
    'models',
    ...args,
  ];
  const env = {
    ...process.env,
    [MODEL_CATALOGUE_ENV]: catalogue,
    RETAIA_AGENT_SECRET_STORE: 'file',
  };
  let code = 0;
  let stdout: string;
  let stderr: string;
  try {
    ({ stdout, stderr } = await run(process.execPath, argv, { env }));
  } catch (err) {
    ({ code, stdout, stderr } = err as { code: number; stdout: string; stderr: string });
  }
  return { code, out: stdout.trim() ? (JSON.parse(stdout) as unknown) : undefined, stderr };
}

const errorOf = (stderr: string): string =>
  (JSON.parse(stderr.trim().split('\n').at(-1)!) as { error: string }).error;

async function listed(dir: string): Promise<{ models: ModelJson[]; active?: string }> {
  const r = await models(dir, 'list');
  assert.equal(r.code, 0, r.stderr);
  const view = r.out as { models: ModelJson[] };
  return { models: view.models, active: view.models.find((m) => m.active)?.name };
}

// Each test has its own data dir, so they run side by side (each CLI start costs ~1 s of tsx).
describe('models CLI', { concurrency: true }, () => {
  test('download: progress on stderr, SHA-256 checked, installed and listed as the active model', async () => {
    const dir = await dataDir();
    const r = await models(dir, 'download', 'tiny-test');
    assert.equal(r.code, 0, r.stderr);
    const result = r.out as { model: ModelJson; daemon: boolean };
    assert.equal(result.daemon, false, 'no daemon runs: nothing to notify');
    assert.equal(result.model.name, 'tiny-test');
    assert.equal(result.model.source, 'downloaded');
    assert.equal(result.model.sha256, modelSha);
    assert.equal(result.model.sizeBytes, modelSize);
    assert.ok(result.model.active, 'the first model becomes active');
    const progress = r.stderr
      .trim()
      .split('\n')
      .map(
        (l) =>
          (JSON.parse(l) as { progress: { percent?: number; receivedBytes: number } }).progress,
      );
    assert.ok(progress.length >= 1, `progress lines on stderr: ${r.stderr}`);
    assert.equal(progress.at(-1)!.percent, 100);
    assert.equal(progress.at(-1)!.receivedBytes, modelSize);
    assert.ok(requests.includes('/ggml-tiny-test.bin'));

    const { models: list, active } = await listed(dir);
    assert.deepEqual(
      list.map((m) => [m.name, m.active, m.available]),
      [['tiny-test', true, true]],
    );
    assert.equal(active, 'tiny-test');
    assert.equal(
      createHash('sha256')
        .update(await readFile(list[0]!.path))
        .digest('hex'),
      modelSha,
    );
  });

  test('download with a SHA-256 mismatch fails clearly and leaves no model and no file behind', async () => {
    const dir = await dataDir();
    const r = await models(dir, 'download', 'bad-hash');
    assert.notEqual(r.code, 0);
    assert.match(
      errorOf(r.stderr),
      new RegExp(`SHA-256 ${modelSha}, expected 0{64}; it was deleted`),
    );
    assert.deepEqual((await listed(dir)).models, []);
    const modelDir = join(dir, 'models', 'whisper');
    const left = existsSync(modelDir) ? await readdir(modelDir) : [];
    assert.deepEqual(
      left.filter((f) => f.includes('bad-hash')),
      [],
      'neither the model nor its .part remains',
    );
  });

  test('add <path>, use, remove: the user file is used in place and never deleted', async () => {
    const dir = await dataDir();
    const second = join(root, 'ggml-second.bin');
    await writeRandomWhisperModel(second, { state: 16, layers: 1, seed: 7 });

    const a = await models(dir, 'add', modelFile);
    assert.equal(a.code, 0, a.stderr);
    const added = (a.out as { model: ModelJson }).model;
    assert.equal(added.name, 'tiny-test', 'name from the file name without ggml- and extension');
    assert.equal(added.path, modelFile);
    assert.equal(added.source, 'imported');
    assert.ok(added.active);

    const b = await models(dir, 'add', second, '--name', 'mine');
    assert.equal(b.code, 0, b.stderr);
    assert.equal((await listed(dir)).active, 'tiny-test', 'adding does not steal the active slot');

    const u = await models(dir, 'use', 'mine');
    assert.equal(u.code, 0, u.stderr);
    assert.equal((u.out as { model: ModelJson }).model.active, true);
    assert.equal((await listed(dir)).active, 'mine');

    const rm1 = await models(dir, 'remove', 'mine');
    assert.equal(rm1.code, 0, rm1.stderr);
    assert.deepEqual(rm1.out, { removed: 'mine', active: 'tiny-test', daemon: false });
    assert.ok(existsSync(second), 'an imported file is the user’s: remove only forgets it');
    const { models: left } = await listed(dir);
    assert.deepEqual(
      left.map((m) => [m.name, m.active]),
      [['tiny-test', true]],
    );

    const dup = await models(dir, 'add', second, '--name', 'tiny-test');
    assert.notEqual(dup.code, 0);
    assert.match(errorOf(dup.stderr), /a model named "tiny-test" already exists/);
  });

  test('unknown names and bad files: clear error, non-zero exit, inventory untouched', async () => {
    const dir = await dataDir();
    assert.equal((await models(dir, 'add', modelFile)).code, 0);

    const use = await models(dir, 'use', 'nope');
    assert.notEqual(use.code, 0);
    assert.equal(errorOf(use.stderr), 'no model named "nope"; installed: tiny-test');

    const remove = await models(dir, 'remove', 'nope');
    assert.notEqual(remove.code, 0);
    assert.equal(errorOf(remove.stderr), 'no model named "nope"; installed: tiny-test');

    const download = await models(dir, 'download', 'nope');
    assert.notEqual(download.code, 0);
    assert.equal(errorOf(download.stderr), 'unknown model "nope"; available: tiny-test, bad-hash');

    const notGgml = join(root, 'notes.bin');
    await writeFile(notGgml, 'definitely not a whisper model');
    const bad = await models(dir, 'add', notGgml);
    assert.notEqual(bad.code, 0);
    assert.match(errorOf(bad.stderr), /notes\.bin/);

    const { models: list, active } = await listed(dir);
    assert.deepEqual(
      list.map((m) => m.name),
      ['tiny-test'],
    );
    assert.equal(active, 'tiny-test');
  });
});
