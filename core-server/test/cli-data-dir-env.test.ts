// Operator commands find the server's data dir the same way whoever declares it: --data-dir beats
// RETAIA_CORE_DATA_DIR, which beats the default ./retaia-core-data (run as a real child process).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { SqliteCoreStore } from '../src/store/sqlite/sqlite-core-store.js';
import { runCli } from './support/cli-child.js';

let base: string;
let withDb: string;
let empty: string;
before(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'core-cli-env-'));
  withDb = path.join(base, 'with-db');
  empty = path.join(base, 'empty');
  await mkdir(empty);
  await new SqliteCoreStore(withDb).close();
});
after(() => rm(base, { recursive: true, force: true }));

test('--data-dir beats RETAIA_CORE_DATA_DIR, which beats the default ./retaia-core-data', async () => {
  const cwd = base;
  const fromEnv = await runCli(['agents', 'list'], { cwd, env: { RETAIA_CORE_DATA_DIR: withDb } });
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  assert.deepEqual(JSON.parse(fromEnv.stdout), []);

  const flagWins = await runCli(['agents', 'list', '--data-dir', empty], {
    cwd,
    env: { RETAIA_CORE_DATA_DIR: withDb },
  });
  assert.equal(flagWins.code, 1);
  assert.match(flagWins.stderr, new RegExp(`no Core database here: ${empty} has no`));

  const flagOverBadEnv = await runCli(['agents', 'list', '--data-dir', withDb], {
    cwd,
    env: { RETAIA_CORE_DATA_DIR: empty },
  });
  assert.equal(flagOverBadEnv.code, 0, flagOverBadEnv.stderr);

  const byDefault = await runCli(['agents', 'list'], { cwd });
  assert.equal(byDefault.code, 1);
  assert.match(
    byDefault.stderr,
    new RegExp(`no Core database here: ${path.join(cwd, 'retaia-core-data')} does not exist`),
  );
});
