// Store CPU per claim+submit, with the request's nonce and Idempotency-Key in their own commits
// (rememberNonce, beginIdempotent, finishIdempotent around claimJob/completeJob: six commits)
// against one commit per request (claimJobOnce/completeJobOnce: two), and against 10 cycles in
// flight at once whose writes share commits (group commit). No HTTP, no signatures:
// just the store verbs a claim+submit runs, on real SQLite, the two ways interleaved in rounds
// so both see the same machine load. CPU time (process.cpuUsage), not wall time.
// Run: npx tsx bench/core-server-store-cycle.ts [jobs]   (default 3,600)
import { rm } from 'node:fs/promises';

import { CAPABILITIES } from '@retaia/protocol';

import type {
  ClaimJobInput,
  CompleteJobInput,
  NonceUse,
} from '../core-server/src/store/core-store.js';
import { setGroupCommit } from '../core-server/src/store/sqlite/jobs/group-commit.js';
import { TestAgent } from '../core-server/test/support/signed-test-client.js';
import type { Database } from 'better-sqlite3';
import { startBenchCore } from './support/bench-core.js';

const JOBS = Number(process.argv[2] ?? 3600);
const ROUNDS = 6;
const CONCURRENT = 10;
const WINDOW_MS = 15 * 60_000;

/** How many statements `cycle` runs through the connection's prepared statements. */
async function countStatements(db: Database, cycle: () => Promise<void>): Promise<number> {
  const proto = Object.getPrototypeOf(db.prepare('SELECT 1')) as Record<string, unknown>;
  const methods = ['run', 'get', 'all', 'iterate'] as const;
  const originals = methods.map((m) => proto[m] as (...args: unknown[]) => unknown);
  let count = 0;
  methods.forEach((m, i) => {
    proto[m] = function (this: unknown, ...args: unknown[]) {
      count++;
      return originals[i]!.apply(this, args);
    };
  });
  try {
    await cycle();
  } finally {
    methods.forEach((m, i) => (proto[m] = originals[i]));
  }
  return count;
}

const { base, server } = await startBenchCore('bench-store-cycle-', JOBS);
try {
  await server.scanNow();
  await server.scanNow();
  const enrolled = await TestAgent.enrol(server, { capabilities: [CAPABILITIES.facts] });
  const { store, flags } = server.context;
  const agent = (await store.getAgent(enrolled.agentId))!;
  const jobs = (await store.listPendingJobs())
    .filter((j) => j.job_type === 'extract_facts')
    .map((j) => j.job_id);
  let n = 0;
  const nonce = (nowMs: number): NonceUse => ({
    agentId: agent.agent_id,
    nonce: `n${n++}`,
    nowMs,
    windowMs: WINDOW_MS,
  });
  const claimInput = (jobId: string, nowMs: number): ClaimJobInput => ({
    jobId,
    agentId: agent.agent_id,
    effectiveCapabilities: agent.effective_capabilities,
    flags,
    nowMs,
    leaseTtlMs: 60_000,
  });
  const completeInput = (
    jobId: string,
    lock: { lock_token: string | null; fencing_token: number },
    nowMs: number,
  ): CompleteJobInput => ({
    jobId,
    agentId: agent.agent_id,
    lockToken: lock.lock_token!,
    fencingToken: lock.fencing_token,
    nowMs,
    jobType: 'extract_facts',
    facts: { media_format: 'jpeg', width: 1, height: 1 },
    flags,
  });
  const respond = (r: { job: { status: string } }) => ({ status: r.job.status });
  const ways = {
    async separate(jobId: string) {
      const now = Date.now();
      const a = nonce(now);
      await store.rememberNonce(a.agentId, a.nonce, now, WINDOW_MS);
      const { job } = await store.claimJob(claimInput(jobId, now));
      const b = nonce(now);
      await store.rememberNonce(b.agentId, b.nonce, now, WINDOW_MS);
      const scope = { actor: agent.agent_id, endpoint: `POST /jobs/${jobId}/submit`, key: jobId };
      await store.beginIdempotent(scope, 'h', now);
      const r = await store.completeJob(completeInput(jobId, job, now));
      await store.finishIdempotent(scope, 200, respond(r));
    },
    async once(jobId: string) {
      const now = Date.now();
      const c = await store.claimJobOnce!(claimInput(jobId, now), nonce(now));
      if (c.kind !== 'claimed') throw new Error(c.kind);
      const scope = { actor: agent.agent_id, endpoint: `POST /jobs/${jobId}/submit`, key: jobId };
      const r = await store.completeJobOnce!(
        completeInput(jobId, c.job, now),
        nonce(now),
        { scope, requestSha256: 'h', nowMs: now },
        respond,
      );
      if (r.kind !== 'completed') throw new Error(r.kind);
    },
  };
  const db = (store as unknown as { db: Database }).db;
  const statements = await countStatements(db, () => ways.once(jobs.pop()!));
  const cpu = { separate: 0, once: 0, grouped: 0 };
  const per = Math.floor(jobs.length / (3 * ROUNDS) / CONCURRENT) * CONCURRENT;
  let next = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const way of ['separate', 'once', 'grouped'] as const) {
      const t = process.cpuUsage();
      if (way === 'grouped') {
        // CONCURRENT agents' cycles in flight at once: their writes share commits.
        for (let i = 0; i < per; i += CONCURRENT) {
          const batch = jobs.slice(next, (next += CONCURRENT));
          await Promise.all(batch.map((id) => ways.once(id)));
        }
      } else {
        setGroupCommit(db, false);
        for (let i = 0; i < per; i++) await ways[way](jobs[next++]!);
        setGroupCommit(db, true);
      }
      const used = process.cpuUsage(t);
      cpu[way] += used.user + used.system;
    }
  }
  const us = (way: keyof typeof cpu) => cpu[way] / (per * ROUNDS);
  console.log(`${per * ROUNDS} claim+submit cycles each way, ${ROUNDS} interleaved rounds`);
  console.log(
    `SQL statements per claim+submit (one commit per request): ${statements} (BEGIN, COMMIT and savepoints included; statements run by triggers not)`,
  );
  console.log(
    `separate commits (6 per cycle):     ${us('separate').toFixed(0)} µs store CPU per claim+submit`,
  );
  console.log(
    `one commit per request (2):         ${us('once').toFixed(0)} µs store CPU per claim+submit`,
  );
  console.log(
    `${CONCURRENT} in flight, commits shared:     ${us('grouped').toFixed(0)} µs store CPU per claim+submit`,
  );
  console.log(
    `ratios to separate: one commit ${(us('once') / us('separate')).toFixed(2)}, shared ${(us('grouped') / us('separate')).toFixed(2)}`,
  );
} finally {
  await server.close();
  await rm(base, { recursive: true, force: true });
}
