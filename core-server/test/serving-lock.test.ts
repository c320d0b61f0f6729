// One serving core-server per SQLite data directory (src/server/serving-lock.ts), with real
// `core-server serve` child processes: a second server is refused with what to do while the
// first keeps serving, a killed server's lock is freed by the operating system, and the
// operator CLI still works beside a running server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from './support/cli-child.js';
import { startTestCore, TestAgent } from './support/signed-test-client.js';

const BIN = path.resolve(import.meta.dirname, '../bin/core-server.js');

async function tempBase(t: { after: (fn: () => Promise<void>) => void }) {
  const base = await mkdtemp(path.join(os.tmpdir(), 'serving-lock-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  return base;
}

test('a second server on the same data directory is refused; the first keeps serving', async (t) => {
  const core = await startTestCore({ buildReviewUi: false });
  t.after(() => core.dispose());
  const second = await runCli(
    ['serve', '--storage-root', core.root, '--storage-id', 'nas-test', '--data-dir', core.dataDir],
    { cwd: path.dirname(core.dataDir), timeoutMs: 30_000 },
  );
  assert.equal(second.code, 1, second.stdout + second.stderr);
  assert.match(second.stderr, /already serving the data directory/);
  assert.match(second.stderr, new RegExp(`pid ${process.pid}\\b`), 'names the holder');
  assert.match(second.stderr, /Stop the other one first/);
  assert.doesNotMatch(second.stdout, /listening on/);
  const agent = await TestAgent.enrol(core.server);
  assert.equal((await agent.get('/jobs')).status, 200, 'the first still serves and writes');
});

test('a server killed with SIGKILL leaves no stale lock: the next one starts', async (t) => {
  const base = await tempBase(t);
  const [root, dataDir] = [path.join(base, 'storage'), path.join(base, 'data')];
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--port',
      '0',
      '--storage-root',
      root,
      '--storage-id',
      'lib-k',
      '--init-storage',
    ].concat(['--data-dir', dataDir]),
    { cwd: base, stdio: 'pipe' },
  );
  t.after(() => void child.kill('SIGKILL'));
  child.stderr.resume();
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/listening on/.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`serve exited early (${code}): ${out}`)));
  });
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;

  const next = await startTestCore({
    storageRoot: root,
    storageId: 'lib-k',
    dataDir,
    buildReviewUi: false,
  });
  t.after(() => next.dispose());
  const agent = await TestAgent.enrol(next.server);
  assert.equal((await agent.get('/jobs')).status, 200);
});

test('the operator CLI still opens the database beside a running server', async (t) => {
  const core = await startTestCore({ buildReviewUi: false });
  t.after(() => core.dispose());
  const listed = await runCli(['assets', 'list', '--data-dir', core.dataDir], {
    cwd: path.dirname(core.dataDir),
  });
  assert.equal(listed.code, 0, listed.stdout + listed.stderr);
});
