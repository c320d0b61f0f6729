// Claims+submits per second and claim/submit p50/p99 with 50 signed agents against Core on
// PostgreSQL: 1 replica, then 3 replicas (agents spread over them, as behind a load balancer),
// then 3 replicas with the leader SIGKILLed a third of the way: no claim lost or doubled, and
// the killed replica's agents carry on through the others. 1 replica and 3 replicas each have a
// fresh database and storage root (the kill phase reuses the 3 replicas with new files); ratios
// are against the 1-replica phase of the same run.
//
// The replicas are child processes (their CPU is not this process's); the agents run here, signed
// with the same TestAgent as bench/core-server-load.ts (whose loop is not importable: that
// module runs its bench on import) through e2e/replicas' failover loop.
// On 2 shared cores three replicas compete for the same CPU: the point of the 3-replica figure
// is that the database-side claim (FOR UPDATE SKIP LOCKED) does not collapse under contention,
// not a speed-up a bigger machine would show.
//
// Bounded: job count per phase plus a deadline (the whole run stays under 2 minutes here).
// Run: npx tsx bench/core-server-replicas.ts [jobs per phase, default 150]
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import {
  enrolAgents,
  percentile,
  runClaimLoad,
  type LoadRecord,
  type ReplicaAgent,
} from '../e2e/replicas/support/claim-load.js';
import { startReplicas, type ReplicaSet } from '../e2e/replicas/support/replicas.js';
import {
  startPostgresCluster,
  type PostgresCluster,
} from '../scripts/test-support/postgres-cluster.js';

const AGENTS = 50;
const PHASE_DEADLINE_MS = 30_000;

interface Phase {
  label: string;
  rec: LoadRecord;
  /** Jobs Core recorded as completed, and completed more than once (from the database). */
  completed: number;
  completedTwice: number;
  /** Acknowledged claims beyond one per job (double claims). */
  doubleAcks: number;
  /** Sequential unsigned GET /app/policy just before the load: this machine's floor right now. */
  baselineMs: number[];
}

interface Running {
  set: ReplicaSet;
  agents: ReplicaAgent[];
  count(sql: string): Promise<number>;
  /** Files dropped so far (each becomes one extract_facts job). */
  files: number;
}

const COMPLETED = `SELECT COUNT(*) AS n FROM jobs WHERE job_type = 'extract_facts' AND status = 'completed'`;

/** `replicas` replicas on a fresh database with AGENTS agents enrolled, for `fn`; then stopped. */
async function withReplicas<T>(
  cluster: PostgresCluster,
  replicas: number,
  fn: (r: Running) => Promise<T>,
) {
  const databaseUrl = await cluster.createDatabase();
  const set = await startReplicas({
    count: replicas,
    databaseUrl,
    core: { scanIntervalMs: 200, sweepIntervalMs: 500, stabilityWindowMs: 0, leaseTtlSeconds: 10 },
  });
  const db = new pg.Client({ connectionString: databaseUrl });
  try {
    await db.connect();
    const count = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);
    return await fn({ set, agents: await enrolAgents(set, AGENTS), count, files: 0 });
  } finally {
    await db.end().catch(() => undefined);
    await set.stop();
  }
}

/** Drops `jobs` new files, waits until they are jobs, runs the agents until all are done. */
async function phase(
  run: Running,
  label: string,
  jobs: number,
  killLeader: boolean,
): Promise<Phase> {
  const { set, count } = run;
  for (let i = 0; i < jobs; i++)
    await writeFile(path.join(set.inbox, `p${run.files + i}.jpg`), 'x');
  run.files += jobs;
  const end = Date.now() + 60_000;
  while (
    (await count(`SELECT COUNT(*) AS n FROM jobs WHERE job_type = 'extract_facts'`)) < run.files
  ) {
    if (Date.now() > end) throw new Error('discovery did not offer every file within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const completedBefore = await count(COMPLETED);
  const baselineMs: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    await run.agents[i % run.agents.length]!.agent.get('/app/policy');
    baselineMs.push(performance.now() - t);
  }
  const leader = await set.leaderPid();
  const leaderIndex = set.replicas.findIndex((r) => r.pid === leader);
  let killing: Promise<void> | undefined;
  const rec = await runClaimLoad({
    set,
    agents: run.agents,
    deadlineMs: PHASE_DEADLINE_MS,
    remaining: () =>
      count(
        `SELECT COUNT(*) AS n FROM jobs WHERE job_type = 'extract_facts' AND status <> 'completed'`,
      ),
    onCompleted(done) {
      if (killLeader && done >= jobs / 3 && !killing) killing = set.kill(leaderIndex);
    },
  });
  await killing;
  const perJob = new Map<string, number>();
  for (const c of rec.claims) perJob.set(c.job_id, (perJob.get(c.job_id) ?? 0) + 1);
  return {
    label,
    rec,
    completed: (await count(COMPLETED)) - completedBefore,
    completedTwice: await count(
      `SELECT COUNT(*) AS n FROM (SELECT job_id FROM job_claims WHERE outcome = 'completed'
         GROUP BY job_id HAVING COUNT(*) > 1) t`,
    ),
    doubleAcks: [...perJob.values()].reduce((s, n) => s + n - 1, 0),
    baselineMs,
  };
}

const jobs = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 150);
const cluster = await startPostgresCluster();
if (cluster.skipReason) {
  console.log(`skipped: ${cluster.skipReason}`);
  process.exit(0);
}
try {
  const phases = [
    await withReplicas(cluster, 1, (run) => phase(run, '1 replica', jobs, false)),
    // The kill phase reuses the 3 replicas and their agents (new files): no second start-up.
    ...(await withReplicas(cluster, 3, async (run) => [
      await phase(run, '3 replicas', jobs, false),
      await phase(run, '3 replicas, leader SIGKILLed', jobs, true),
    ])),
  ];
  const base = phases[0]!;
  const rate = (p: Phase) => p.rec.submitted.size / p.rec.seconds;
  console.log(
    `${AGENTS} signed agents, ${jobs} extract_facts jobs per phase, PostgreSQL (throwaway cluster)`,
  );
  for (const p of phases) {
    const r = p.rec;
    console.log(
      `${p.label.padEnd(30)} ${rate(p).toFixed(0).padStart(5)} claim+submit/s (×${(rate(p) / rate(base)).toFixed(2)})  ` +
        `claim p50 ${percentile(r.claimMs, 50).toFixed(1)} p99 ${percentile(r.claimMs, 99).toFixed(1)} ms (p99 ×${(percentile(r.claimMs, 99) / percentile(base.rec.claimMs, 99)).toFixed(2)})  ` +
        `submit p50 ${percentile(r.submitMs, 50).toFixed(1)} p99 ${percentile(r.submitMs, 99).toFixed(1)} ms (p99 ×${(percentile(r.submitMs, 99) / percentile(base.rec.submitMs, 99)).toFixed(2)})`,
    );
    console.log(
      `${''.padEnd(30)} completed ${p.completed}/${jobs}, completed twice ${p.completedTwice}, double claims ${p.doubleAcks}, ` +
        `claim p99 / idle GET p99 ${(percentile(r.claimMs, 99) / percentile(p.baselineMs, 99)).toFixed(1)}, ` +
        `lost races ${r.lostRaces}, failovers ${r.failovers}, submits retried elsewhere ${r.retriedSubmits} (targets: ${jobs}, 0, 0)`,
    );
  }
  const bad = phases.filter((p) => p.completed !== jobs || p.completedTwice || p.doubleAcks);
  if (bad.length) {
    console.log(`FAILED: ${bad.map((p) => p.label).join(', ')} lost or doubled work`);
    process.exitCode = 1;
  }
} finally {
  await cluster.stop();
}
