// The operations port (/ops/* endpoints) answers the same on SQLite and PostgreSQL: queue counts
// by type, asset locks and job leases in one list, stale-lock recovery that only drops the exact
// expired lock, the unmatched-sidecar list a scan records (first-seen times kept), counters.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { addReadyAssets, ALL_CAPABILITIES, newAsset } from './fixtures.js';
import { stopBackends, storeBackends } from './backends.js';

const backends = await storeBackends();
after(() => stopBackends(backends));

for (const b of backends) {
  test(
    `[${b.name}] ops: queue by type, locks and leases, stale lock recovery`,
    { skip: b.skipReason },
    async (t) => {
      const { store, another } = await b.fresh(t);
      await store.ops.ping();
      const assets = await addReadyAssets(store, [newAsset(1), newAsset(2)], 1000);
      const facts = (await store.listAssetJobs(assets[0]!.uuid)).find(
        (j) => j.job_type === 'extract_facts',
      )!;
      await store.claimJob({
        jobId: facts.job_id,
        agentId: 'agent-9',
        effectiveCapabilities: ALL_CAPABILITIES,
        flags: {},
        nowMs: 2000,
        leaseTtlMs: 60_000,
      });
      assert.deepEqual(await store.ops.jobQueueByType(), [
        {
          job_type: 'extract_facts',
          pending: 1,
          claimed: 1,
          failed: 0,
          oldest_pending_created_at: new Date(1000).toISOString(),
        },
        {
          job_type: 'generate_preview',
          pending: 2,
          claimed: 0,
          failed: 0,
          oldest_pending_created_at: new Date(1000).toISOString(),
        },
      ]);
      const now = Date.now();
      await store.moveJournal.tryAcquireLock({
        asset_uuid: assets[1]!.uuid,
        kind: 'asset_move_lock',
        owner: 'mover-1',
        ttl_ms: 1,
        now: new Date(now),
      });
      const locks = await store.ops.listOperationLocks({ limit: 10, offset: 0 });
      assert.equal(locks.total, 2);
      assert.deepEqual(locks.items.map((l) => [l.lock_type, l.actor_id]).sort(), [
        ['asset_move_lock', 'mover-1'],
        ['job_lease', 'agent-9'],
      ]);
      const lease = locks.items.find((l) => l.lock_type === 'job_lease')!;
      assert.deepEqual(
        [lease.id, lease.acquired_at, lease.expires_at],
        [facts.job_id, new Date(2000).toISOString(), new Date(62_000).toISOString()],
      );
      const onlyLeases = await store.ops.listOperationLocks({
        lockType: 'job_lease',
        limit: 10,
        offset: 0,
      });
      assert.deepEqual([onlyLeases.total, onlyLeases.items.length], [1, 1]);
      const byAsset = await store.ops.listOperationLocks({
        assetUuid: assets[1]!.uuid,
        limit: 10,
        offset: 0,
      });
      assert.equal(byAsset.items[0]!.id, `${assets[1]!.uuid}:asset_move_lock`);
      const later = now + 60_000;
      const stale = await store.ops.listStaleAssetLocks(later, later);
      assert.equal(stale.length, 1);
      assert.ok(
        Math.abs(stale[0]!.acquired_at_ms - now) < 60_000,
        'acquisition time recorded by the database',
      );
      // A refresh by its owner keeps the acquisition time; the stale lock then is still that one.
      const replica = await another();
      assert.equal(
        await replica.ops.dropStaleAssetLock({ ...stale[0]!, owner: 'someone-else' }, later),
        false,
      );
      assert.equal(await replica.ops.dropStaleAssetLock(stale[0]!, later), true);
      assert.equal(await store.ops.dropStaleAssetLock(stale[0]!, later), false, 'dropped once');
      assert.deepEqual(await store.ops.assetUuidsAtPath(assets[0]!.relative_path, false), [
        assets[0]!.uuid,
      ]);
      assert.deepEqual(await store.ops.assetUuidsAtPath('INBOX/none.jpg', true), []);
    },
  );

  test(
    `[${b.name}] ops: ingest scan records keep first-seen times and count`,
    { skip: b.skipReason },
    async (t) => {
      const { store } = await b.fresh(t);
      assert.equal(await store.ops.lastIngestScanAt(), null);
      await store.ops.recordIngestScan({
        unmatched: [
          { path: 'INBOX/a.xmp', reason: 'missing_parent' },
          { path: 'INBOX/b.srt', reason: 'ambiguous_parent' },
        ],
        missing: 2,
        finishedAtMs: 1000,
      });
      await store.ops.recordIngestScan({
        unmatched: [
          { path: 'INBOX/a.xmp', reason: 'missing_parent' },
          { path: 'INBOX/c.lrv', reason: 'disabled_by_policy' },
        ],
        missing: 1,
        finishedAtMs: 2000,
      });
      const listed = await store.ops.listUnmatchedSidecars({ limit: 10 });
      assert.deepEqual(
        listed.items.map((r) => [r.path, r.detected_at]),
        [
          ['INBOX/c.lrv', new Date(2000).toISOString()],
          ['INBOX/a.xmp', new Date(1000).toISOString()],
        ],
      );
      assert.equal(listed.total, 2);
      const recent = await store.ops.listUnmatchedSidecars({
        since: new Date(1500).toISOString(),
        limit: 10,
      });
      assert.deepEqual(
        recent.items.map((r) => r.path),
        ['INBOX/c.lrv'],
      );
      const byReason = await store.ops.listUnmatchedSidecars({
        reason: 'missing_parent',
        limit: 1,
      });
      assert.deepEqual([byReason.total, byReason.items[0]?.path], [1, 'INBOX/a.xmp']);
      await addReadyAssets(store, [newAsset(1)]);
      assert.deepEqual(await store.ops.ingestCounters(), {
        queued: 1,
        missing: 1,
        unmatched_sidecars: 2,
        last_scan_at: new Date(2000).toISOString(),
      });
    },
  );
}
