/* eslint-disable @typescript-eslint/no-explicit-any -- job listings are read loosely */
// The operator CLI as a new user meets it, run as a real child process: `serve` without a storage
// root says what to pass, commands on a data dir without database say so (and create nothing),
// and `assets show` explains why an asset is where it is.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { SqliteCoreStore } from '../src/store/sqlite/sqlite-core-store.js';
import { runCli } from './support/cli-child.js';
import { TestAgent, startTestCore } from './support/signed-test-client.js';

let base: string;
before(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'core-cli-'));
});
after(() => rm(base, { recursive: true, force: true }));

test('serve without --storage-root explains what to pass (no schema message, nothing created)', async () => {
  const cwd = path.join(base, 'empty-cwd');
  await mkdir(cwd);
  const r = await runCli(['serve', '--port', '0'], { cwd });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /no storage root given: pass --storage-root/);
  assert.match(r.stderr, /RETAIA_CORE_STORAGE_ROOT/);
  assert.doesNotMatch(r.stderr, /expected string|invalid_type|Invalid input/);
  assert.deepEqual(await readdir(cwd), [], 'no data dir or database created');

  const noId = await runCli(['serve', '--storage-root', path.join(base, 'nowhere')], { cwd });
  assert.equal(noId.code, 1);
  assert.match(noId.stderr, /no storage id given and .*does not exist.*--storage-id NAME/);
});

test('operator commands on a data dir without database say so and create nothing', async () => {
  const cwd = path.join(base, 'ops-cwd');
  const emptyDir = path.join(base, 'empty-data');
  await mkdir(cwd);
  await mkdir(emptyDir);
  for (const args of [
    ['assets', 'list', '--data-dir', emptyDir],
    ['assets', 'show', '00000000-0000-4000-8000-000000000000', '--data-dir', emptyDir],
    ['agents', 'list'],
  ]) {
    const r = await runCli(args, { cwd });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /no Core database here/, args.join(' '));
    assert.match(r.stderr, /--data-dir/);
  }
  assert.deepEqual(await readdir(emptyDir), [], 'no core.sqlite created');
  assert.equal(existsSync(path.join(cwd, 'retaia-core-data')), false, 'default dir not created');
});

test('assets show: state and why, jobs with attempts and failure messages, a live lock', async () => {
  const core = await startTestCore({ buildReviewUi: false, maxAttempts: 2 });
  let uuid: string;
  try {
    const agent = await TestAgent.enrol(core.server);
    await agent.register();
    await mkdir(path.join(core.root, 'INBOX'), { recursive: true });
    await writeFile(path.join(core.root, 'INBOX', 'broken.jpg'), 'not really a jpeg');
    await core.server.scanNow();
    await core.server.scanNow();
    const jobs = ((await agent.get('/jobs')).body as any[]).filter(
      (j) => j.job_type === 'extract_facts',
    );
    const job = jobs[0];
    uuid = job.asset_uuid;
    const c = await agent.claim(job.job_id);
    assert.equal(c.status, 200, JSON.stringify(c.body));
    const f = await agent.fail(job.job_id, {
      lock_token: c.body.lock_token,
      fencing_token: c.body.fencing_token,
      error_code: 'IMAGE_UNREADABLE',
      message: 'Corrupt JPEG: data ends at 61 %',
      retryable: false,
    });
    assert.equal(f.status, 200, JSON.stringify(f.body));
  } finally {
    await core.server.close();
  }
  // A move lock held by another process (as if a move were running in the server).
  const store = new SqliteCoreStore(core.dataDir);
  await store.moveJournal.tryAcquireLock({
    asset_uuid: uuid,
    kind: 'asset_move_lock',
    owner: 'core-4242-test',
    ttl_ms: 300_000,
    now: new Date(),
  });
  await store.close();

  const r = await runCli(
    ['assets', 'show', uuid, '--data-dir', core.dataDir, '--max-attempts', '2'],
    {
      cwd: base,
    },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /broken\.jpg/);
  assert.match(r.stdout, /state +\w+ — a move holds the asset \(lock owner core-4242-test/);
  assert.match(r.stdout, /extract_facts +failed +attempts 1\/2/);
  assert.match(
    r.stdout,
    /claim #1 by .*failed \[IMAGE_UNREADABLE, not retryable\] — Corrupt JPEG: data ends at 61 %/,
  );
  assert.match(r.stdout, /lock +asset_move_lock by core-4242-test, \d+ s left/);
  assert.match(r.stdout, /latest transitions/);

  const json = await runCli(['assets', 'show', uuid, '--json', '--data-dir', core.dataDir], {
    cwd: base,
  });
  const story = JSON.parse(json.stdout);
  assert.equal(story.asset.uuid, uuid);
  assert.equal(
    story.jobs.find((j: any) => j.job_type === 'extract_facts').claims[0].message,
    'Corrupt JPEG: data ends at 61 %',
  );

  const unknown = await runCli(
    ['assets', 'show', '00000000-0000-4000-8000-000000000000', '--data-dir', core.dataDir],
    {
      cwd: base,
    },
  );
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no asset 00000000-.* in this database/);
  await core.dispose();
});
