// listClaimableJobs (the in-memory index) must select exactly what the JS filter over
// listPendingJobs selects (same order, capability rule, flag rule, asset locks, limit), on a real
// SQLite file — also after writes through another connection (another process) and a reopen.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import Database from 'better-sqlite3';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  CAPABILITIES,
  FEATURE_FLAGS,
  hasAllCapabilities,
  type FeatureFlags,
  type MediaType,
  type ProcessingProfile,
} from '@retaia/protocol';
import type { NewAsset } from '../../core-store.js';
import { SqliteCoreStore } from '../sqlite-core-store.js';
import type { ListClaimableJobsInput } from '../../store-types.js';
import { listClaimableJobs } from './list-claimable-jobs.js';
import { DATABASE_FILE } from '../open-database.js';

const asset = (media_type: MediaType, profile: ProcessingProfile, i: number): NewAsset => ({
  uuid: randomUUID(),
  media_type,
  profile,
  relative_path: `INBOX/f${i}`,
  name: `f${i}`,
  size_bytes: 1,
  mtime_ms: 1,
  sidecars: [],
});

test('listClaimableJobs matches the JS capability/flag/lock filter, in order, up to limit', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'claimable-'));
  const store = new SqliteCoreStore(dir);
  t.after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const on: FeatureFlags = { [FEATURE_FLAGS.transcribeAudio]: true };
  const off: FeatureFlags = { [FEATURE_FLAGS.transcribeAudio]: false };
  const inserts = [
    ...Array.from({ length: 6 }, (_, i) => asset('PHOTO', 'photo_standard', i)),
    ...Array.from({ length: 4 }, (_, i) => asset('AUDIO', 'audio_voice', 10 + i)),
  ];
  // Planned with the transcription flag on, so transcribe_audio jobs (feature-flagged) exist.
  await store.applyScan({ inserts, updates: [], ready: inserts.map((a) => a.uuid) }, on, 1000);
  // A job needing two capabilities at once, and one already claimed (never listed).
  const multi = randomUUID();
  store.db
    .prepare(
      `INSERT INTO jobs (job_id, asset_uuid, job_type, status, required_capabilities, created_at)
       VALUES (?, ?, 'generate_thumbnails', 'pending', ?, '1970-01-01T00:00:00.000Z')`,
    )
    .run(multi, inserts[0]!.uuid, JSON.stringify([CAPABILITIES.facts, CAPABILITIES.previewPhoto]));
  store.db
    .prepare(`UPDATE jobs SET status = 'claimed' WHERE asset_uuid = ? AND job_type = ?`)
    .run(inserts[1]!.uuid, 'extract_facts');
  // A live lock hides the asset's jobs; an expired one does not.
  const NOW = 5000;
  const lock = store.db.prepare(
    'INSERT INTO asset_locks (asset_uuid, kind, owner, expires_at_ms) VALUES (?, ?, ?, ?)',
  );
  lock.run(inserts[2]!.uuid, 'move', 'op-1', NOW + 1);
  lock.run(inserts[3]!.uuid, 'move', 'op-2', NOW - 1);
  const locked = new Set([inserts[2]!.uuid]);

  const pending = await store.listPendingJobs();
  assert.ok(pending.some((j) => j.feature_flag === FEATURE_FLAGS.transcribeAudio));
  const capabilitySets = [
    [],
    [CAPABILITIES.facts],
    [CAPABILITIES.facts, CAPABILITIES.previewPhoto],
    Object.values(CAPABILITIES),
  ];
  let compared = 0;
  for (const caps of capabilitySets) {
    for (const flags of [on, off, {}]) {
      for (const limit of [1, 3, 500]) {
        const expected = pending
          .filter((j) => !locked.has(j.asset_uuid))
          .filter((j) => !j.feature_flag || flags[j.feature_flag] === true)
          .filter((j) => hasAllCapabilities(caps, j.required_capabilities))
          .slice(0, limit);
        const got = listClaimableJobs(store.db, {
          effectiveCapabilities: caps,
          flags,
          limit,
          nowMs: NOW,
        });
        assert.deepEqual(
          got.map((g) => g.job.job_id),
          expected.map((j) => j.job_id),
          `caps ${JSON.stringify(caps)} flags ${JSON.stringify(flags)} limit ${limit}`,
        );
        for (const g of got) {
          assert.equal(g.asset.uuid, g.job.asset_uuid);
          assert.ok(Array.isArray(g.job.required_capabilities));
        }
        compared += expected.length;
      }
    }
  }
  assert.ok(compared > 50, 'the cases above must actually select jobs');
  const all = { effectiveCapabilities: Object.values(CAPABILITIES), flags: on, limit: 500 };
  const visible = (nowMs: number) =>
    new Set(listClaimableJobs(store.db, { ...all, nowMs }).map((g) => g.asset.uuid));
  assert.equal(visible(NOW).has(inserts[2]!.uuid), false, 'live lock hides the asset');
  assert.equal(visible(NOW).has(inserts[3]!.uuid), true, 'expired lock does not');
  assert.equal(visible(NOW + 2).has(inserts[2]!.uuid), true, 'lock expiry is read from nowMs');
  const both = listClaimableJobs(store.db, {
    effectiveCapabilities: [CAPABILITIES.facts, CAPABILITIES.previewPhoto],
    flags: {},
    limit: 1,
    nowMs: NOW,
  });
  assert.equal(both[0]?.job.job_id, multi, 'oldest job first, multi-capability job included');
  assert.equal(
    listClaimableJobs(store.db, {
      effectiveCapabilities: [CAPABILITIES.facts],
      flags: {},
      limit: 500,
      nowMs: NOW,
    }).some((g) => g.job.job_id === multi),
    false,
    'a job is not listed when one of its capabilities is missing',
  );
});

test('the index follows writes made by another connection, claims, asset moves and a reopen', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'claimable-index-'));
  let store = new SqliteCoreStore(dir);
  // A second connection to the same file stands for the operator CLI or another process.
  const other = new Database(path.join(dir, DATABASE_FILE));
  t.after(async () => {
    other.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const inserts = Array.from({ length: 8 }, (_, i) => asset('PHOTO', 'photo_standard', i));
  await store.applyScan({ inserts, updates: [], ready: inserts.map((a) => a.uuid) }, {}, 1000);
  const all: ListClaimableJobsInput = {
    effectiveCapabilities: Object.values(CAPABILITIES),
    flags: {},
    limit: 500,
    nowMs: 5000,
  };
  const expected = async () => (await store.listPendingJobs()).map((j) => j.job_id);
  const got = () => listClaimableJobs(store.db, all).map((g) => g.job.job_id);
  assert.deepEqual(got(), await expected(), 'first build');
  const before = got().length;

  // Claimed through the store: gone from the next poll.
  const first = listClaimableJobs(store.db, all)[0]!;
  const entriesOf = (uuid: string) =>
    listClaimableJobs(store.db, all).filter((g) => g.asset.uuid === uuid);
  const siblings = entriesOf(first.asset.uuid).filter((g) => g !== first);
  assert.ok(siblings.length > 0, 'a photo has more than one review job');
  await store.claimJob({
    jobId: first.job.job_id,
    agentId: 'agent-1',
    effectiveCapabilities: all.effectiveCapabilities,
    flags: {},
    nowMs: 5000,
    leaseTtlMs: 60_000,
  });
  assert.deepEqual(got(), await expected());
  assert.equal(got().length, before - 1);
  // The asset's other jobs did not change: their entries are kept as they were (the same objects,
  // so their place and their serialized answers are kept too), not rebuilt.
  const after = entriesOf(first.asset.uuid);
  assert.equal(after.length, siblings.length);
  for (const [i, entry] of after.entries()) assert.equal(entry, siblings[i], 'kept as it was');

  // Another connection changes an asset's sidecars, and one job's required capabilities.
  const [c, d] = listClaimableJobs(store.db, all).filter((g) => g.asset.uuid !== first.asset.uuid);
  other.prepare(`UPDATE assets SET sidecars = '["INBOX/c.xmp"]' WHERE uuid = ?`).run(c!.asset.uuid);
  other
    .prepare(`UPDATE jobs SET required_capabilities = '["media.unknown@9"]' WHERE job_id = ?`)
    .run(d!.job.job_id);
  for (const entry of entriesOf(c!.asset.uuid))
    assert.deepEqual(entry.asset.sidecars, ['INBOX/c.xmp'], 'sidecar changes are seen');
  assert.deepEqual(
    got(),
    (await expected()).filter((id) => id !== d!.job.job_id),
    'a job needing a capability nobody offers is no longer listed',
  );
  other
    .prepare(`UPDATE jobs SET required_capabilities = ? WHERE job_id = ?`)
    .run(JSON.stringify(d!.job.required_capabilities), d!.job.job_id);
  assert.deepEqual(got(), await expected(), 'and is listed again once it needs them no more');

  // Another connection claims one, re-queues another with an older date, and moves an asset.
  const [a, b] = listClaimableJobs(store.db, all);
  other.prepare(`UPDATE jobs SET status = 'claimed' WHERE job_id = ?`).run(a!.job.job_id);
  other
    .prepare(`UPDATE jobs SET created_at = '1969-01-01T00:00:00.000Z' WHERE job_id = ?`)
    .run(b!.job.job_id);
  other
    .prepare(`UPDATE assets SET relative_path = 'ARCHIVE/moved.jpg' WHERE uuid = ?`)
    .run(b!.asset.uuid);
  const now = listClaimableJobs(store.db, all);
  assert.deepEqual(
    now.map((g) => g.job.job_id),
    await expected(),
  );
  assert.equal(now[0]!.job.job_id, b!.job.job_id, 'an older job moves to the front');
  assert.equal(now[0]!.asset.relative_path, 'ARCHIVE/moved.jpg', 'asset changes are seen');

  // A job deleted and one re-queued elsewhere, then the log pruned behind the index's back: the
  // index notices the gap and rebuilds.
  other.prepare(`UPDATE jobs SET status = 'pending' WHERE job_id = ?`).run(a!.job.job_id);
  other.prepare(`DELETE FROM job_queue_changes`).run();
  other.prepare(`UPDATE jobs SET status = 'failed' WHERE job_id = ?`).run(now[1]!.job.job_id);
  assert.deepEqual(got(), await expected(), 'rebuilt after a gap in the change log');

  // Reopen (a restart): built again from the table.
  await store.close();
  store = new SqliteCoreStore(dir);
  assert.deepEqual(got(), await expected(), 'after a restart');
  assert.ok(got().length > 3);
});
