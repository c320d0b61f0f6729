// Assets, human mutations, the moves ports and uploads behave the same on SQLite and
// PostgreSQL: list order for every contract sort, moved-asset origins, PATCH with If-Match
// (stale revision → 412, locked asset → 409), decision history, reprocess, move locks and
// journal, path/state updates, upload parts and quotas.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ASSET_SORTS } from '../../src/domain/asset-sort.js';
import type { MoveJournalEntry } from '../../src/moves/index.js';
import { addReadyAssets, ALL_CAPABILITIES, fixedUuid, newAsset, PHOTO_FACTS } from './fixtures.js';
import { stopBackends, storeBackends } from './backends.js';

const backends = await storeBackends();
after(() => stopBackends(backends));

/** Each backend's order per sort, compared across backends by the last test. */
const results = new Map<string, Record<string, string[]>>();

const NAMES = ['b.jpg', 'A.jpg', 'c.jpg', 'a2.jpg', '_x.jpg', 'B2.jpg'];

for (const b of backends) {
  test(
    `[${b.name}] every contract sort orders the same (NULLs last, ties by uuid)`,
    { skip: b.skipReason },
    async (t) => {
      const { store } = await b.fresh(t);
      const assets = await addReadyAssets(
        store,
        NAMES.map((name, i) => newAsset(i, { name, uuid: fixedUuid(10 - i) })),
      );
      // Facts (captured_at, duration) on some assets only, through real submits.
      for (const [i, extra] of [
        [0, { captured_at: '2024-05-01T10:00:00Z', duration_ms: 900 }],
        [2, { captured_at: '2023-01-01T00:00:00Z', duration_ms: 12_000 }],
        [3, { duration_ms: 80 }],
      ] as const) {
        const job = (await store.listAssetJobs(assets[i]!.uuid)).find(
          (j) => j.job_type === 'extract_facts',
        )!;
        const { job: c } = await store.claimJob({
          jobId: job.job_id,
          agentId: 'a',
          effectiveCapabilities: ALL_CAPABILITIES,
          flags: {},
          nowMs: 2000 + i,
          leaseTtlMs: 60_000,
        });
        await store.completeJob({
          jobId: c.job_id,
          agentId: 'a',
          lockToken: c.lock_token!,
          fencingToken: c.fencing_token,
          nowMs: 3000 + i,
          jobType: 'extract_facts',
          facts: { ...PHOTO_FACTS, ...extra },
          flags: {},
        });
      }
      const orders: Record<string, string[]> = {};
      for (const sort of ASSET_SORTS) {
        orders[sort] = (await store.listAssets({ sort, limit: 50, offset: 0 })).map((a) => a.name);
      }
      assert.deepEqual(orders['name'], ['_x.jpg', 'A.jpg', 'a2.jpg', 'b.jpg', 'B2.jpg', 'c.jpg']);
      assert.deepEqual(orders['-name'], ['c.jpg', 'B2.jpg', 'b.jpg', 'a2.jpg', 'A.jpg', '_x.jpg']);
      assert.deepEqual(orders['captured_at']!.slice(0, 2), ['c.jpg', 'b.jpg']);
      assert.deepEqual(
        orders['duration']!.slice(0, 3),
        ['a2.jpg', 'b.jpg', 'c.jpg'],
        'numeric, not text',
      );
      assert.deepEqual(orders['-duration']!.slice(0, 3), ['c.jpg', 'b.jpg', 'a2.jpg']);
      const page = await store.listAssets({ sort: 'name', limit: 2, offset: 2 });
      assert.deepEqual(
        page.map((a) => a.name),
        ['a2.jpg', 'b.jpg'],
      );
      const filtered = await store.listAssets({
        states: ['PROCESSING_REVIEW'],
        mediaType: 'PHOTO',
        limit: 50,
        offset: 0,
      });
      assert.equal(filtered.length, 3);
      // The orders this backend gives are recorded for the cross-backend check below.
      results.set(b.name, orders);
    },
  );

  test(
    `[${b.name}] human PATCH: If-Match revision, decision history, tags, notes, locks`,
    { skip: b.skipReason },
    async (t) => {
      const { store } = await b.fresh(t);
      const [a] = await addReadyAssets(store, [newAsset(1)]);
      for (const job of await store.listAssetJobs(a!.uuid)) {
        const { job: c } = await store.claimJob({
          jobId: job.job_id,
          agentId: 'a',
          effectiveCapabilities: ALL_CAPABILITIES,
          flags: {},
          nowMs: 2000,
          leaseTtlMs: 60_000,
        });
        await store.completeJob({
          jobId: c.job_id,
          agentId: 'a',
          lockToken: c.lock_token!,
          fencingToken: c.fencing_token,
          nowMs: 3000,
          jobType: c.job_type,
          ...(c.job_type === 'extract_facts' ? { facts: PHOTO_FACTS } : {}),
          flags: {},
        });
      }
      let asset = (await store.getAsset(a!.uuid))!;
      assert.equal(asset.state, 'DECISION_PENDING');
      const base = { uuid: a!.uuid, nowMs: 4000, by: 'ops@example.org', flags: {} };
      await assert.rejects(
        store.patchAsset({ ...base, expectedRevision: asset.revision - 1, patch: { notes: 'x' } }),
        /stale If-Match/,
      );
      asset = await store.patchAsset({
        ...base,
        expectedRevision: asset.revision,
        patch: { tags: ['keep', 'retaia:forged'], notes: 'good take' },
      });
      assert.deepEqual([asset.tags, asset.notes], [['keep'], 'good take']);
      asset = await store.patchAsset({
        ...base,
        expectedRevision: asset.revision,
        patch: { state: 'DECIDED_KEEP' },
      });
      asset = await store.patchAsset({
        ...base,
        expectedRevision: asset.revision,
        patch: { state: 'DECISION_PENDING' },
      });
      asset = await store.patchAsset({
        ...base,
        expectedRevision: asset.revision,
        patch: { state: 'DECIDED_REJECT' },
      });
      assert.deepEqual(
        (await store.listDecisionHistory(a!.uuid)).map((h) => h.action),
        ['KEEP', 'CLEAR', 'REJECT'],
      );
      await store.moveJournal.tryAcquireLock({
        asset_uuid: a!.uuid,
        kind: 'asset_move_lock',
        owner: 'mover',
        ttl_ms: 10_000,
        now: new Date(4000),
      });
      await assert.rejects(
        store.patchAsset({
          ...base,
          nowMs: 5000,
          expectedRevision: asset.revision,
          patch: { notes: 'y' },
        }),
        /being moved/,
      );
      assert.deepEqual([...(await store.lockedAssetUuids(5000))], [a!.uuid]);
      assert.equal((await store.lockedAssetUuids(14_001)).size, 0);
    },
  );

  test(
    `[${b.name}] reprocess drops derived files, facts and jobs, then plans again`,
    { skip: b.skipReason },
    async (t) => {
      const { store } = await b.fresh(t);
      const [a] = await addReadyAssets(store, [newAsset(1)]);
      const jobs = await store.listAssetJobs(a!.uuid);
      const claimOf = async (type: string) => {
        const job = jobs.find((x) => x.job_type === type)!;
        return (
          await store.claimJob({
            jobId: job.job_id,
            agentId: 'a',
            effectiveCapabilities: ALL_CAPABILITIES,
            flags: {},
            nowMs: 2000,
            leaseTtlMs: 60_000,
          })
        ).job;
      };
      const preview = await claimOf('generate_preview');
      await store.createUpload({
        upload_id: 'up-1',
        asset_uuid: a!.uuid,
        agent_id: 'a',
        kind: 'preview_photo',
        content_type: 'image/webp',
        size_bytes: 10,
        sha256: null,
        status: 'OPEN',
        created_at: 'x',
        expires_at_ms: 99_999,
      });
      await store.saveUploadPart({
        upload_id: 'up-1',
        part_number: 1,
        size_bytes: 10,
        part_etag: 'e1',
      });
      await store.saveUploadPart({
        upload_id: 'up-1',
        part_number: 1,
        size_bytes: 10,
        part_etag: 'e2',
      });
      assert.deepEqual(
        (await store.listUploadParts('up-1')).map((p) => p.part_etag),
        ['e2'],
      );
      assert.deepEqual(await store.agentUploadUsage('a', 3000), {
        open_uploads: 1,
        declared_bytes: 10,
      });
      await store.markUploadCompleted('up-1', 'sha', 99_999);
      const proof = (j: typeof preview) => ({
        jobId: j.job_id,
        agentId: 'a',
        lockToken: j.lock_token!,
        fencingToken: j.fencing_token,
        nowMs: 3000,
      });
      await store.completeJob({
        ...proof(preview),
        jobType: 'generate_preview',
        flags: {},
        derived: [
          {
            kind: 'preview_photo',
            upload_id: 'up-1',
            content_type: 'image/webp',
            size_bytes: 10,
            sha256: 'sha',
            relative_path: `.derived/${a!.uuid}/p.webp`,
          },
        ],
      });
      // Facts fail for good: the asset goes on to a decision with the failure tag, and may be retried.
      await store.failJob({
        ...proof(await claimOf('extract_facts')),
        errorCode: 'UNSUPPORTED',
        message: 'no decoder',
        retryable: false,
        maxAttempts: 3,
      });
      const failed = (await store.getAsset(a!.uuid))!;
      assert.deepEqual(
        [failed.state, failed.tags],
        ['DECISION_PENDING', ['retaia:processing-failed']],
      );
      assert.equal((await store.getUpload('up-1'))?.status, 'PUBLISHED');
      assert.equal(
        (await store.findDerivedByUpload('up-1'))?.relative_path,
        `.derived/${a!.uuid}/p.webp`,
      );
      // A list page reads the derived files of all its assets at once: the same rows, by asset.
      const page = await store.listDerivedOf([a!.uuid, 'no-such-asset']);
      assert.deepEqual(page.get(a!.uuid), await store.listDerived(a!.uuid));
      assert.equal(page.get(a!.uuid)?.length, 1);
      assert.deepEqual(page.get('no-such-asset'), []);
      const before = (await store.getAsset(a!.uuid))!;
      const { asset, droppedDerived } = await store.reprocessAsset({
        uuid: a!.uuid,
        expectedRevision: before.revision,
        nowMs: 5000,
        by: 'op',
        flags: {},
      });
      assert.deepEqual(droppedDerived, [`.derived/${a!.uuid}/p.webp`]);
      assert.deepEqual(
        [asset.state, asset.facts, asset.review_processing_version],
        ['READY', {}, 2],
      );
      assert.deepEqual(await store.listDerived(a!.uuid), []);
      const fresh = await store.listAssetJobs(a!.uuid);
      assert.equal(fresh.length, 2);
      assert.ok(
        fresh.every((j) => j.status === 'pending' && !jobs.some((o) => o.job_id === j.job_id)),
      );
      await store.createUpload({
        upload_id: 'up-2',
        asset_uuid: a!.uuid,
        agent_id: 'a',
        kind: 'thumb',
        content_type: 'image/webp',
        size_bytes: 5,
        sha256: null,
        status: 'OPEN',
        created_at: 'x',
        expires_at_ms: 6000,
      });
      assert.deepEqual(
        (await store.listExpiredUploads(7000)).map((u) => u.upload_id),
        ['up-2'],
      );
      await store.markUploadExpired('up-2');
      assert.equal((await store.getUpload('up-2'))?.status, 'EXPIRED');
    },
  );

  test(
    `[${b.name}] moves ports: locks, journal order, audit once, paths and guarded states`,
    { skip: b.skipReason },
    async (t) => {
      const { store, another } = await b.fresh(t);
      const replica = await another();
      const [a] = await addReadyAssets(store, [newAsset(1, { name: 'clip.jpg' })]);
      const lock = (owner: string, nowMs: number, on = store) =>
        on.moveJournal.tryAcquireLock({
          asset_uuid: a!.uuid,
          kind: 'asset_move_lock',
          owner,
          ttl_ms: 1000,
          now: new Date(nowMs),
        });
      assert.equal(await lock('one', 1000), true);
      assert.equal(await lock('two', 1500, replica), false, 'held by another owner');
      assert.equal(await lock('one', 1500, replica), true, 're-entrant for its owner');
      assert.equal(await lock('two', 2600), true, 'expired: anyone may take it');
      await replica.moveJournal.releaseLock(a!.uuid, 'asset_move_lock', 'one');
      assert.equal(await lock('three', 2700), false, 'release by a non-owner is a no-op');
      const entry = (
        id: string,
        step: MoveJournalEntry['step'],
        created_at: string,
      ): MoveJournalEntry => ({
        operation_id: id,
        asset_uuid: a!.uuid,
        lock_owner: 'two',
        from_state: 'DECIDED_KEEP',
        to_state: 'ARCHIVED',
        step,
        created_at,
        updated_at: created_at,
        kind: 'move',
        files: [],
        new_paths: { original_relative: 'ARCHIVE/clip.jpg', sidecars_relative: [] },
      });
      await store.moveJournal.saveEntry(entry('op-b', 'PLANNED', '2024-01-01T00:00:00.000Z'));
      await store.moveJournal.saveEntry(entry('op-a', 'PLANNED', '2024-01-01T00:00:00.000Z'));
      await store.moveJournal.saveEntry(entry('op-c', 'PLANNED', '2023-01-01T00:00:00.000Z'));
      await replica.moveJournal.saveEntry(
        entry('op-a', 'FILES_APPLIED', '2024-01-01T00:00:00.000Z'),
      );
      await store.moveJournal.saveEntry(entry('op-c', 'DONE', '2023-01-01T00:00:00.000Z'));
      assert.deepEqual(
        (await replica.moveJournal.unfinishedEntries()).map((e) => [e.operation_id, e.step]),
        [
          ['op-b', 'PLANNED'],
          ['op-a', 'FILES_APPLIED'],
        ],
      );
      const audit = {
        asset_uuid: a!.uuid,
        operation_id: 'op-a',
        action: 'MOVE_APPLIED' as const,
        at: 'now',
        details: { n: 1 },
      };
      await store.moveJournal.appendAudit(audit);
      await replica.moveJournal.appendAudit({ ...audit, details: { n: 2 } });
      const records = store.assetRecords('nas');
      await records.updatePaths(a!.uuid, {
        original_relative: 'ARCHIVE/clip.jpg',
        sidecars_relative: ['ARCHIVE/clip.xmp'],
      });
      const moved = (await store.getAsset(a!.uuid))!;
      assert.deepEqual(
        [moved.relative_path, moved.sidecars, moved.path_history],
        ['ARCHIVE/clip.jpg', ['ARCHIVE/clip.xmp'], [a!.relative_path]],
      );
      const origins = await store.listMovedAssetsDiscoveredAs([
        a!.relative_path.slice(0, -3).toLowerCase(),
        'inbox/none.',
      ]);
      assert.deepEqual(
        origins.map((o) => o.relative_path),
        ['ARCHIVE/clip.jpg'],
      );
      await assert.rejects(
        records.transitionState(a!.uuid, 'DECIDED_KEEP', 'ARCHIVED', 'decision_applied' as never),
        /expected DECIDED_KEEP/,
      );
      assert.equal((await records.getAsset(a!.uuid))?.state, 'READY');
    },
  );
}

test('both backends gave the same order for every sort', async (t) => {
  if (results.size < 2) return t.skip(`only ${[...results.keys()].join(', ') || 'no backend'} ran`);
  assert.deepEqual(results.get('postgres'), results.get('sqlite'));
});
