// The CLI says what is wrong and what to do, run as a child process like a user would:
// unusable storage mounts are reported when written and in status/diagnostics, `config init`
// blames its options (not a file it never wrote), and an offline `models download` points at
// `models add PATH`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnDaemon, stopChild } from './support/spawn-daemon.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

const BIN = fileURLToPath(new URL('../bin/retaia-agent.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(root: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        BIN,
        '--config',
        join(root, 'config.json'),
        '--data-dir',
        join(root, 'data'),
        '--socket',
        join(root, 'data', 'agent.sock'),
        ...args,
      ],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A loopback port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('config init blames its options and writes nothing when they are invalid', async () => {
  const root = makeTempDir('rcli-');
  const r = await cli(root, ['config', 'init', '--core-url', 'not-a-url']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nothing written/);
  assert.match(r.stderr, /--core-url: "not-a-url" is not a URL/);
  assert.doesNotMatch(r.stderr, /Fix the file/i);
  assert.equal(existsSync(join(root, 'config.json')), false);
});

test('unusable storage mounts are reported when written, by config validate and by diagnostics', async () => {
  const root = makeTempDir('rcli-');
  const noMarker = join(root, 'share-without-marker');
  await mkdir(noMarker);
  const init = await cli(root, [
    'config',
    'init',
    '--core-url',
    'http://127.0.0.1:9',
    '--storage',
    `nas=${join(root, 'missing')}`,
  ]);
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stderr, /storage_mounts\.nas .* cannot be used: .* does not exist/);

  const set = await cli(root, ['config', 'set', 'storage_mounts.other', noMarker]);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stderr, /storage_mounts\.other .* cannot be used: no \.retaia marker/);

  const json = await cli(root, ['--json', 'config', 'validate']);
  const validation = JSON.parse(json.stdout) as { ok: boolean; mountProblems: unknown[] };
  assert.equal(validation.ok, true);
  assert.equal(validation.mountProblems.length, 2);

  const diag = await cli(root, ['diagnostics']);
  assert.match(diag.stdout, /storage_mounts\.nas .* does not exist/);
  assert.match(diag.stdout, /storage_mounts\.other .* no \.retaia marker/);
});

test('a running daemon reports unusable mounts in daemon status and diagnostics', async (t) => {
  const root = makeTempDir('rcli-');
  const configPath = join(root, 'config.json');
  await writeFile(
    configPath,
    JSON.stringify({
      core_url: `http://127.0.0.1:${await deadPort()}`,
      storage_mounts: { nas: join(root, 'not-mounted') },
    }),
  );
  const daemon = await spawnDaemon({ configPath, dataDir: join(root, 'data') });
  t.after(() => void daemon.child.kill('SIGKILL'));
  const status = await cli(root, ['daemon', 'status']);
  assert.match(status.stdout, /storage_mounts\.nas .* cannot be used: .* does not exist/);
  const json = JSON.parse((await cli(root, ['--json', 'daemon', 'status'])).stdout) as {
    mountProblems?: { storageId: string }[];
  };
  assert.deepEqual(
    json.mountProblems?.map((m) => m.storageId),
    ['nas'],
  );
  const diag = await cli(root, ['diagnostics']);
  assert.match(diag.stdout, /storage mount problem: nas .* does not exist/);
  await stopChild(daemon.child, 'SIGTERM', daemon.output);
});

test('models download without network says to copy the file and run models add PATH', async () => {
  const root = makeTempDir('rcli-');
  const catalogue = join(root, 'catalogue.json');
  await writeFile(
    catalogue,
    JSON.stringify([
      {
        name: 'tiny-offline',
        description: 'unreachable',
        url: `http://127.0.0.1:${await deadPort()}/ggml-tiny.bin`,
        sha256: 'a'.repeat(64),
        sizeBytes: 1000,
      },
    ]),
  );
  const r = await cli(root, ['models', 'download', 'tiny-offline'], {
    RETAIA_AGENT_MODEL_CATALOGUE: catalogue,
  });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /cannot reach/);
  assert.match(r.stderr, /models add PATH/);
});
