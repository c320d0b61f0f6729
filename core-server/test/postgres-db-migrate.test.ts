// `core-server db migrate --from sqlite:PATH --to postgres://…` (the real CLI as a child
// process): a SQLite catalogue with users, agents, assets in several states, claims, derived
// files, transcripts, decisions, locks and security events is copied; every table's rows and
// checksum are reported; PostgreSQL then answers the store's reads exactly as SQLite did
// (search included), `assets show` reads it; a second run into the now non-empty database is
// refused and changes nothing.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { FEATURE_FLAGS } from '@retaia/protocol';
import { startPostgresCluster } from '../../scripts/test-support/postgres-cluster.js';
import type { CoreStore } from '../src/store/core-store.js';
import { PostgresCoreStore } from '../src/store/postgres/postgres-core-store.js';
import { SqliteCoreStore } from '../src/store/sqlite/sqlite-core-store.js';
import { runCli } from './support/cli-child.js';
import {
  addReadyAssets,
  ALL_CAPABILITIES,
  newAsset,
  PHOTO_FACTS,
} from './store-conformance/fixtures.js';

const cluster = await startPostgresCluster();
after(() => cluster.stop());

const flags = { [FEATURE_FLAGS.transcribeAudio]: true };

/** A small but complete catalogue, written through the SQLite store. */
async function fillCatalogue(store: CoreStore) {
  const user = await store.addUser('ops@example.org', 'hash');
  await store.saveUserToken('tok', user.user_id, Date.now() + 60_000);
  await store.logSecurityEvent('signature_invalid', { agent_id: 'agent-1' });
  await store.rememberNonce('agent-1', 'n1', 1000, 60_000);
  const photos = await addReadyAssets(store, [
    newAsset(1, { name: 'Harbour at dawn.jpg' }),
    newAsset(2),
  ]);
  const voice = newAsset(3, { media_type: 'AUDIO', profile: 'audio_voice', name: 'mayor.wav' });
  await store.applyScan({ inserts: [voice], updates: [], ready: [voice.uuid] }, flags, 1000);
  const claimAndDo = async (uuid: string, type: string, done: boolean) => {
    const job = (await store.listAssetJobs(uuid)).find((j) => j.job_type === type)!;
    const { job: c } = await store.claimJob({
      jobId: job.job_id,
      agentId: 'agent-1',
      effectiveCapabilities: ALL_CAPABILITIES,
      flags,
      nowMs: 2000,
      leaseTtlMs: 60_000,
    });
    if (!done) return;
    const proof = {
      jobId: c.job_id,
      agentId: 'agent-1',
      lockToken: c.lock_token!,
      fencingToken: c.fencing_token,
      nowMs: 3000,
    };
    if (type === 'transcribe_audio') {
      await store.completeJob({
        ...proof,
        jobType: 'transcribe_audio',
        transcript: { status: 'DONE', text: 'the harbour budget vote' },
        flags,
      });
    } else if (type === 'extract_facts') {
      await store.completeJob({ ...proof, jobType: 'extract_facts', facts: PHOTO_FACTS, flags });
    } else {
      await store.failJob({
        ...proof,
        errorCode: 'DECODE',
        message: 'bad',
        retryable: false,
        maxAttempts: 3,
      });
    }
  };
  await claimAndDo(photos[0]!.uuid, 'extract_facts', true);
  await claimAndDo(photos[0]!.uuid, 'generate_preview', true); // fails for good → decision pending
  await claimAndDo(photos[1]!.uuid, 'extract_facts', false); // a live lease
  await claimAndDo(voice.uuid, 'transcribe_audio', true);
  const decided = (await store.getAsset(photos[0]!.uuid))!;
  await store.patchAsset({
    uuid: decided.uuid,
    expectedRevision: decided.revision,
    nowMs: 4000,
    by: 'ops@example.org',
    patch: { state: 'DECIDED_KEEP', notes: 'keep it' },
    flags,
  });
  await store.moveJournal.tryAcquireLock({
    asset_uuid: photos[1]!.uuid,
    kind: 'asset_move_lock',
    owner: 'old-core',
    ttl_ms: 1,
    now: new Date(5000),
  });
  return { assets: [...photos.map((p) => p.uuid), voice.uuid] };
}

/** What the store answers, for comparing two backends. */
async function snapshot(store: CoreStore, assets: string[]) {
  const perAsset = [];
  for (const uuid of assets) {
    const jobs = await store.listAssetJobs(uuid);
    perAsset.push({
      asset: await store.getAsset(uuid),
      jobs,
      claims: await Promise.all(jobs.map((j) => store.listJobClaims(j.job_id))),
      decisions: await store.listDecisionHistory(uuid),
    });
  }
  return {
    perAsset,
    list: await store.listAssets({ limit: 50, offset: 0, sort: 'name' }),
    search: (await store.listAssets({ q: 'harbour', limit: 50, offset: 0 }))
      .map((a) => a.name)
      .sort(),
    notesSearch: (await store.listAssets({ q: 'keep', limit: 50, offset: 0 })).map((a) => a.name),
    user: await store.findUserByEmail('OPS@example.org'),
    events: await store.listSecurityEvents(),
    locks: [...(await store.lockedAssetUuids(0))],
    pending: (await store.listPendingJobs()).map((j) => j.job_id),
    nonceReplayed: !(await store.rememberNonce('agent-1', 'n1', 2000, 60_000)),
  };
}

test(
  'db migrate copies a SQLite catalogue into PostgreSQL, verified, and refuses a non-empty target',
  { skip: cluster.skipReason },
  async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'db-migrate-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const sqlite = new SqliteCoreStore(dir);
    const { assets } = await fillCatalogue(sqlite);
    const expected = await snapshot(sqlite, assets);
    await sqlite.close();
    assert.deepEqual(
      expected.search,
      ['Harbour at dawn.jpg', 'mayor.wav'],
      'name and transcript matches',
    );
    assert.deepEqual(expected.notesSearch, ['Harbour at dawn.jpg'], 'notes match');

    const url = await cluster.createDatabase();
    const run = await runCli(['db', 'migrate', '--from', `sqlite:${dir}`, '--to', url], {
      cwd: dir,
    });
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as {
      tables: { table: string; rows: number; checksum: string }[];
    };
    const rows = Object.fromEntries(report.tables.map((r) => [r.table, r.rows]));
    assert.equal(rows.assets, 3);
    assert.equal(rows.users, 1);
    assert.ok(
      rows.job_claims! >= 4 && rows.asset_audit! >= 1 && rows.asset_locks === 1,
      JSON.stringify(rows),
    );
    assert.ok(report.tables.every((r) => /^[0-9a-f]{16}$/.test(r.checksum)));

    const pg = await PostgresCoreStore.open(url);
    try {
      assert.deepEqual(await snapshot(pg, assets), expected);
      // The copied lock keeps its recorded acquisition time.
      const stale = await pg.ops.listStaleAssetLocks(Date.now() + 1, Date.now() + 1);
      assert.equal(stale.length, 1);
      assert.equal(stale[0]!.owner, 'old-core');
      // New rows continue after the copied ids.
      await pg.logSecurityEvent('after_migration', {});
      assert.equal((await pg.listSecurityEvents()).at(-1)?.kind, 'after_migration');
    } finally {
      await pg.close();
    }

    // The operator commands read the PostgreSQL catalogue too.
    const show = await runCli(['assets', 'show', assets[1]!, '--json', '--database-url', url], {
      cwd: dir,
    });
    assert.equal(show.code, 0, show.stderr);
    const story = JSON.parse(show.stdout) as {
      locks: { owner: string }[];
      transitions: { to_state: string }[];
      jobs: { status: string }[];
    };
    assert.deepEqual(
      story.locks.map((l) => l.owner),
      ['old-core'],
    );
    assert.equal(story.transitions[0]?.to_state, 'PROCESSING_REVIEW');
    assert.ok(story.jobs.some((j) => j.status === 'claimed'));

    const again = await runCli(['db', 'migrate', '--from', `sqlite:${dir}`, '--to', url], {
      cwd: dir,
    });
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      /target database is not empty \(users: 1, .*assets: 3.*\); nothing was copied/,
    );
    const bad = await runCli(['db', 'migrate', '--from', dir, '--to', url], { cwd: dir });
    assert.match(bad.stderr, /--from must be sqlite:PATH/);
  },
);
