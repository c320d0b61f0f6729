// Several store instances on one database (replicas, or Core plus the operator CLI) racing for
// the same jobs: 50 agents polling and claiming through 3 instances never get the same job
// twice, every job is claimed exactly once, re-claims after expiry raise the fencing token by
// exactly one whichever instance serves them, and concurrent sweeps expire each lease once.
// Runs on SQLite (several connections to one file) and PostgreSQL (several pools).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { CoreStore } from '../../src/store/core-store.js';
import { addReadyAssets, ALL_CAPABILITIES, newAsset } from './fixtures.js';
import { stopBackends, storeBackends } from './backends.js';

const backends = await storeBackends();
after(() => stopBackends(backends));

const AGENTS = 50;
const ASSETS = 20; // two jobs each

/**
 * Every agent polls through its replica and claims until nothing is left; returns the wins.
 * With `jobIds`, agents try those ids directly instead (expired leases are not listed by the
 * poll until a sweep, but are claimable).
 */
async function race(replicas: CoreStore[], nowMs: number, leaseTtlMs: number, jobIds?: string[]) {
  const wins = new Map<string, { agent: string; fencing: number }[]>();
  let conflicts = 0;
  await Promise.all(
    Array.from({ length: AGENTS }, async (_, i) => {
      const agent = `agent-${i}`;
      const store = replicas[i % replicas.length]!;
      const tried = new Set<string>();
      for (;;) {
        const offered = jobIds
          ? jobIds.filter((id) => !tried.has(id) && !wins.has(id))
          : (
              await store.listClaimableJobs({
                effectiveCapabilities: ALL_CAPABILITIES,
                flags: {},
                limit: 5,
                nowMs,
              })
            ).map((c) => c.job.job_id);
        if (offered.length === 0) return;
        // Agents pick different entries of the same answer, as real ones race on one poll.
        const pick = offered[i % offered.length]!;
        tried.add(pick);
        try {
          const { job } = await store.claimJob({
            jobId: pick,
            agentId: agent,
            effectiveCapabilities: ALL_CAPABILITIES,
            flags: {},
            nowMs,
            leaseTtlMs,
          });
          wins.set(job.job_id, [
            ...(wins.get(job.job_id) ?? []),
            { agent, fencing: job.fencing_token },
          ]);
        } catch (err) {
          if ((err as { code?: string }).code !== 'STATE_CONFLICT') throw err;
          conflicts++;
        }
      }
    }),
  );
  return { wins, conflicts };
}

for (const b of backends) {
  test(
    `[${b.name}] 50 agents on 3 instances: no double claim, fencing tokens monotonic, one expiry each`,
    { skip: b.skipReason },
    async (t) => {
      const { store, another } = await b.fresh(t);
      const replicas = [store, await another(), await another()];
      await addReadyAssets(
        store,
        Array.from({ length: ASSETS }, (_, i) => newAsset(i)),
      );
      const all = (await store.listPendingJobs()).map((j) => j.job_id).sort();
      assert.equal(all.length, ASSETS * 2);

      // Round 1: short leases. Each job won exactly once, with fencing token 1.
      const first = await race(replicas, 10_000, 1_000);
      assert.deepEqual([...first.wins.keys()].sort(), all, 'every job claimed');
      for (const [job, w] of first.wins)
        assert.deepEqual(
          w.map((x) => x.fencing),
          [1],
          `job ${job} claimed once`,
        );
      assert.ok(first.conflicts >= 0);

      // Round 2, after the leases ran out: re-claimed directly (no sweep), again exactly once, token 2.
      const second = await race(replicas, 20_000, 1_000, all);
      assert.deepEqual([...second.wins.keys()].sort(), all, 'every expired job re-claimed');
      for (const [job, w] of second.wins)
        assert.deepEqual(
          w.map((x) => x.fencing),
          [2],
          `job ${job} re-claimed once`,
        );

      // Concurrent sweeps on every instance: each lease expires exactly once.
      const swept = (await Promise.all(replicas.map((r) => r.expireLeases(30_000)))).flat().sort();
      assert.deepEqual(swept, all);
      for (const jobId of all.slice(0, 5)) {
        const claims = await replicas[1]!.listJobClaims(jobId);
        assert.deepEqual(
          claims.map((c) => [c.fencing_token, c.outcome]),
          [
            [1, 'expired'],
            [2, 'expired'],
          ],
        );
      }
      // Round 3 from pending: token 3.
      const third = await race(replicas, 40_000, 60_000);
      for (const [, w] of third.wins)
        assert.deepEqual(
          w.map((x) => x.fencing),
          [3],
        );
      assert.equal(third.wins.size, all.length);
    },
  );
}
