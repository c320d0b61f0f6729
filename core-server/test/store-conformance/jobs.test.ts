// The job queue behaves the same on SQLite and PostgreSQL: the poll's filters and order, claim,
// heartbeat, submit, fail/retry, lease expiry and the lease errors (LOCK_INVALID,
// STALE_LOCK_TOKEN), fencing tokens and the asset states they drive.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { CAPABILITIES, hasAllCapabilities } from '@retaia/protocol';
import {
  addReadyAssets,
  ALL_CAPABILITIES,
  completeAssetJob,
  newAsset,
  PHOTO_FACTS,
} from './fixtures.js';
import { loadAssetStory } from '../../src/cli/explain-asset.js';
import { stopBackends, storeBackends } from './backends.js';

const backends = await storeBackends();
after(() => stopBackends(backends));

const claim = (jobId: string, agentId: string, nowMs: number, leaseTtlMs = 60_000) => ({
  jobId,
  agentId,
  effectiveCapabilities: ALL_CAPABILITIES,
  flags: {},
  nowMs,
  leaseTtlMs,
});

for (const b of backends) {
  test(
    `[${b.name}] the poll lists what the capability/flag/lock rules allow, oldest first`,
    { skip: b.skipReason },
    async (t) => {
      const { store } = await b.fresh(t);
      const assets = await addReadyAssets(
        store,
        Array.from({ length: 6 }, (_, i) => newAsset(i)),
      );
      const pending = await store.listPendingJobs();
      assert.equal(pending.length, 12, 'extract_facts + generate_preview per photo');
      await store.moveJournal.tryAcquireLock({
        asset_uuid: assets[2]!.uuid,
        kind: 'asset_move_lock',
        owner: 'op-1',
        ttl_ms: 1000,
        now: new Date(5000),
      });
      for (const caps of [
        [],
        [CAPABILITIES.facts],
        [CAPABILITIES.facts, CAPABILITIES.previewPhoto],
      ]) {
        for (const limit of [1, 3, 50]) {
          const got = await store.listClaimableJobs({
            effectiveCapabilities: caps,
            flags: {},
            limit,
            nowMs: 5000,
          });
          const expected = pending
            .filter((j) => j.asset_uuid !== assets[2]!.uuid)
            .filter((j) => hasAllCapabilities(caps, j.required_capabilities))
            .slice(0, limit);
          assert.deepEqual(
            got.map((g) => g.job.job_id),
            expected.map((j) => j.job_id),
            `${caps} ${limit}`,
          );
          for (const g of got) assert.equal(g.asset.uuid, g.job.asset_uuid);
        }
      }
      const afterLock = await store.listClaimableJobs({
        effectiveCapabilities: ALL_CAPABILITIES,
        flags: {},
        limit: 50,
        nowMs: 6001,
      });
      assert.ok(
        afterLock.some((g) => g.asset.uuid === assets[2]!.uuid),
        'an expired lock hides nothing',
      );
    },
  );

  test(
    `[${b.name}] claim → heartbeat → submit drives the asset to DECISION_PENDING`,
    { skip: b.skipReason },
    async (t) => {
      const { store } = await b.fresh(t);
      const [a] = await addReadyAssets(store, [newAsset(1)]);
      const facts = (await store.listAssetJobs(a!.uuid)).find(
        (j) => j.job_type === 'extract_facts',
      )!;
      const { job, asset } = await store.claimJob(claim(facts.job_id, 'agent-1', 2000));
      assert.equal(job.status, 'claimed');
      assert.equal(job.fencing_token, 1);
      assert.equal(asset.state, 'PROCESSING_REVIEW');
      // The claim answers the asset as stored, with its one logged transition (PostgreSQL locks,
      // moves and logs it in one statement; SQLite in code).
      const stored = (await store.getAsset(a!.uuid))!;
      assert.deepEqual([asset.state, asset.revision], [stored.state, stored.revision]);
      const claimedMoves = async () =>
        (await loadAssetStory(store, a!.uuid, 3))!.transitions
          .filter((m) => m.cause === 'job_claimed')
          .map((m) => `${m.from_state}→${m.to_state}`);
      assert.deepEqual(await claimedMoves(), ['READY→PROCESSING_REVIEW']);
      await assert.rejects(store.claimJob(claim(facts.job_id, 'agent-2', 2001)), /not claimable/);
      const proof = {
        jobId: job.job_id,
        agentId: 'agent-1',
        lockToken: job.lock_token!,
        fencingToken: 1,
        nowMs: 3000,
      };
      const extended = await store.extendLease(proof, 60_000);
      assert.equal(extended.locked_until_ms, 63_000);
      await assert.rejects(store.extendLease({ ...proof, lockToken: 'forged' }, 1000), {
        code: 'LOCK_INVALID',
      });
      await assert.rejects(store.extendLease({ ...proof, agentId: 'agent-2' }, 1000), {
        code: 'LOCK_INVALID',
      });
      const done = await store.completeJob({
        ...proof,
        nowMs: 4000,
        jobType: 'extract_facts',
        facts: PHOTO_FACTS,
        flags: {},
      });
      assert.equal(done.job.status, 'completed');
      assert.deepEqual((await store.getAsset(a!.uuid))!.facts, PHOTO_FACTS);
      await assert.rejects(
        store.completeJob({ ...proof, nowMs: 4001, jobType: 'extract_facts', flags: {} }),
        {
          code: 'STALE_LOCK_TOKEN',
        },
      );
      const preview = (await store.listAssetJobs(a!.uuid)).find(
        (j) => j.job_type === 'generate_preview',
      )!;
      await completeAssetJob(store, a!.uuid, 'generate_preview', {
        agentId: 'agent-2',
        nowMs: 5000,
      });
      // Claiming the preview while the asset is in review processing moved nothing.
      assert.deepEqual(await claimedMoves(), ['READY→PROCESSING_REVIEW']);
      const final = (await store.getAsset(a!.uuid))!;
      assert.equal(final.state, 'DECISION_PENDING');
      const digest = await store.agentJobDigest('agent-2');
      assert.equal(digest.lastCompleted?.job_id, preview.job_id);
      assert.equal(digest.current, undefined);
    },
  );

  test(
    `[${b.name}] an expired lease is reclaimed with a higher fencing token; the old proof is stale`,
    { skip: b.skipReason },
    async (t) => {
      const { store } = await b.fresh(t);
      const [a] = await addReadyAssets(store, [newAsset(1)]);
      const job = (await store.listAssetJobs(a!.uuid))[0]!;
      const first = await store.claimJob(claim(job.job_id, 'agent-1', 1000, 100));
      // Claimable again once the lease ran out, before any sweep.
      const second = await store.claimJob(claim(job.job_id, 'agent-2', 2000, 100));
      assert.equal(second.job.fencing_token, first.job.fencing_token + 1);
      await assert.rejects(
        store.extendLease(
          {
            jobId: job.job_id,
            agentId: 'agent-1',
            lockToken: first.job.lock_token!,
            fencingToken: 1,
            nowMs: 2001,
          },
          100,
        ),
        { code: 'STALE_LOCK_TOKEN' },
      );
      // The sweeper puts an expired lease back; the asset goes back to READY.
      assert.deepEqual(await store.expireLeases(5000), [job.job_id]);
      assert.deepEqual(await store.expireLeases(5000), [], 'once');
      assert.equal((await store.getJob(job.job_id))!.status, 'pending');
      assert.equal((await store.getAsset(a!.uuid))!.state, 'READY');
      const claims = await store.listJobClaims(job.job_id);
      assert.deepEqual(
        claims.map((c) => [c.fencing_token, c.outcome]),
        [
          [1, 'expired'],
          [2, 'expired'],
        ],
      );
      const third = await store.claimJob(claim(job.job_id, 'agent-3', 6000));
      assert.equal(third.job.fencing_token, 3);
    },
  );

  test(
    `[${b.name}] a retryable failure re-queues until the budget is spent, then fails for good`,
    { skip: b.skipReason },
    async (t) => {
      const { store } = await b.fresh(t);
      const [a] = await addReadyAssets(store, [newAsset(1)]);
      const job = (await store.listAssetJobs(a!.uuid)).find(
        (j) => j.job_type === 'generate_preview',
      )!;
      const fail = async (nowMs: number) => {
        const c = await store.claimJob(claim(job.job_id, 'agent-1', nowMs));
        return store.failJob({
          jobId: job.job_id,
          agentId: 'agent-1',
          lockToken: c.job.lock_token!,
          fencingToken: c.job.fencing_token,
          nowMs: nowMs + 1,
          errorCode: 'DECODE_FAILED',
          message: 'broken file',
          retryable: true,
          maxAttempts: 2,
        });
      };
      assert.equal((await fail(1000)).status, 'pending');
      assert.equal((await store.getAsset(a!.uuid))!.state, 'READY');
      assert.equal((await fail(2000)).status, 'failed');
      const claims = await store.listJobClaims(job.job_id);
      assert.deepEqual(
        claims.map((c) => [c.outcome, c.retryable, c.message]),
        [
          ['retry', true, 'broken file'],
          ['failed', true, 'broken file'],
        ],
      );
      const listed = (await store.listAssetJobs(a!.uuid)).find((j) => j.job_id === job.job_id)!;
      assert.equal(listed.last_error_message, 'broken file');
      assert.equal((await store.agentJobDigest('agent-1')).lastFailed?.job_id, job.job_id);
    },
  );
}
