// The scan index version, the same on SQLite and PostgreSQL: it moves, in the writer's own
// transaction, on every change the INBOX scanner's cached index depends on (new asset, sidecars,
// size/mtime/stable count, path, discovered/settled/purged), whoever writes (another store on the
// same database stands for another process or replica), and stays put on job commits, which only
// move an asset between settled states (so they write no extra page).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { addReadyAssets, ALL_CAPABILITIES, newAsset, PHOTO_FACTS } from './fixtures.js';
import { stopBackends, storeBackends } from './backends.js';

const backends = await storeBackends();
after(() => stopBackends(backends));

for (const b of backends) {
  test(
    `[${b.name}] scan index version: moved by every index change from any writer, not by job commits`,
    { skip: b.skipReason },
    async (t) => {
      const { store, another } = await b.fresh(t);
      const replica = await another();
      let version = await store.scanIndexVersion();
      /** Runs `write` and tells whether the version seen by `store` moved. */
      const moves = async (write: () => Promise<unknown>) => {
        await write();
        const now = await store.scanIndexVersion();
        const moved = now !== version;
        version = now;
        return moved;
      };

      const [a, b2] = [newAsset(1), newAsset(2)];
      assert.ok(
        await moves(() => store.applyScan({ inserts: [a, b2], updates: [], ready: [] }, {}, 1000)),
        'new assets',
      );
      /** A scan's update of asset a (size and mtime unchanged), written by `by` at `nowMs`. */
      const updateA = (by: typeof store, nowMs: number, sidecars: string[] = []) =>
        by.applyScan(
          {
            inserts: [],
            updates: [
              {
                uuid: a.uuid,
                size_bytes: a.size_bytes,
                mtime_ms: a.mtime_ms,
                stable_scans: 1,
                sidecars,
              },
            ],
            ready: [],
          },
          {},
          nowMs,
        );
      assert.ok(
        await moves(() => updateA(replica, 1100)),
        'stable count, written by another store',
      );
      assert.ok(
        await moves(() => store.applyScan({ inserts: [], updates: [], ready: [a.uuid] }, {}, 1200)),
        'discovered → READY',
      );
      assert.equal(
        await moves(() => updateA(store, 1300)),
        false,
        'an update that changes nothing',
      );
      assert.ok(await moves(() => updateA(store, 1400, [`${a.relative_path}.xmp`])), 'sidecars');

      // A job commit: READY → PROCESSING_REVIEW and so on, settled all along.
      const job = (await store.listAssetJobs(a.uuid)).find((j) => j.job_type === 'extract_facts')!;
      assert.equal(
        await moves(async () => {
          const { job: c } = await replica.claimJob({
            jobId: job.job_id,
            agentId: 'agent',
            effectiveCapabilities: ALL_CAPABILITIES,
            flags: {},
            nowMs: 2000,
            leaseTtlMs: 60_000,
          });
          await replica.completeJob({
            jobId: c.job_id,
            agentId: 'agent',
            lockToken: c.lock_token!,
            fencingToken: c.fencing_token,
            nowMs: 2100,
            jobType: 'extract_facts',
            facts: PHOTO_FACTS,
            flags: {},
          });
        }),
        false,
        'a job commit leaves the version alone',
      );
      assert.notEqual((await store.getAsset(a.uuid))?.state, 'READY', 'the job commit happened');

      assert.ok(
        await moves(() =>
          replica.assetRecords('nas').updatePaths(a.uuid, {
            original_relative: 'ARCHIVE/moved.jpg',
            sidecars_relative: [],
          }),
        ),
        'a move by another replica',
      );
      const [ready] = await addReadyAssets(store, [newAsset(3)], 3000);
      version = await store.scanIndexVersion();
      assert.ok(
        await moves(() =>
          replica.assetRecords('nas').transitionState(ready!.uuid, 'READY', 'PURGED', 'purge'),
        ),
        'settled → PURGED',
      );
      const entry = (await store.loadScanIndex()).find((e) => e.uuid === ready!.uuid);
      assert.equal(entry?.phase, 'purged');
      assert.equal(
        (await store.loadScanIndex()).find((e) => e.uuid === b2.uuid)?.phase,
        'discovered',
      );
    },
  );
}
