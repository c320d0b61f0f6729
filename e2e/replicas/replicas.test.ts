// Whole system on PostgreSQL: three Core replicas (child processes) on one database and one
// storage root, nine signed agents claiming through different replicas. The leader replica is
// SIGKILLed part way: its agents carry on through the others, another replica takes the
// leadership, and every job is completed exactly once with fencing tokens only ever rising.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { waitFor as sharedWaitFor } from '@retaia/protocol/testing/wait-for.js';
import { startPostgresCluster } from '../../scripts/test-support/postgres-cluster.js';
import { enrolAgents, runClaimLoad } from './support/claim-load.js';
import { startReplicas } from './support/replicas.js';

const JOBS = 120;
const AGENTS = 9;

const cluster = await startPostgresCluster();
after(() => cluster.stop());
if (cluster.skipReason) console.log(`# replica e2e skipped: ${cluster.skipReason}`);

/** Polls `cond` every 200 ms; fails naming `what` after a generous deadline (loaded CI). */
const waitFor = (what: string, cond: () => boolean | Promise<boolean>, ms = 60_000) =>
  sharedWaitFor(cond, { timeoutMs: ms, intervalMs: 200, what });

test(
  '3 replicas, 9 agents, the leader SIGKILLed mid-load: no double claim, rising fencing, every job completed once',
  { skip: cluster.skipReason, timeout: 280_000 },
  async () => {
    const databaseUrl = await cluster.createDatabase();
    const db = new pg.Client({ connectionString: databaseUrl });
    const set = await startReplicas({
      count: 3,
      databaseUrl,
      core: {
        scanIntervalMs: 300,
        sweepIntervalMs: 300,
        stabilityWindowMs: 0,
        leaseTtlSeconds: 8,
        leaderLeaseMs: 2_000,
      },
    });
    after(() => set.stop());
    await db.connect();
    after(() => db.end());
    const count = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);

    // Exactly one replica leads, so exactly one scans: each file becomes one asset, one job.
    const pids = set.replicas.map((r) => r.pid);
    const leader = await set.leaderPid();
    assert.ok(leader && pids.includes(leader), `a replica leads (${leader} of ${pids.join(', ')})`);
    for (let i = 0; i < JOBS; i++) await writeFile(path.join(set.inbox, `p${i}.jpg`), 'x');
    await waitFor(
      'discovery to offer every file',
      async () =>
        (await count(`SELECT COUNT(*) AS n FROM jobs WHERE job_type = 'extract_facts'`)) === JOBS,
    );
    assert.equal(await count('SELECT COUNT(*) AS n FROM assets'), JOBS, 'no file discovered twice');

    const agents = await enrolAgents(set, AGENTS);
    const leaderIndex = set.replicas.findIndex((r) => r.pid === leader);
    const orphans = agents.filter((a) => a.replica === leaderIndex).map((a) => a.agent.agentId);
    let killedAt = Infinity;
    let killing: Promise<void> | undefined;
    const rec = await runClaimLoad({
      set,
      agents,
      deadlineMs: 200_000,
      remaining: () =>
        count(
          `SELECT COUNT(*) AS n FROM jobs WHERE job_type = 'extract_facts' AND status <> 'completed'`,
        ),
      onCompleted(done) {
        // killedAt: once the process is gone (it may answer requests in flight until then).
        if (done >= JOBS / 3 && !killing) {
          killing = set.kill(leaderIndex).then(() => void (killedAt = performance.now()));
        }
      },
    });
    await killing;
    console.log(
      `# ${rec.submitted.size} jobs in ${rec.seconds.toFixed(1)} s; ${rec.claims.length} claims acknowledged, ` +
        `${rec.lostRaces} lost races, ${rec.failovers} failovers, ${rec.retriedSubmits} submits retried on another replica`,
    );

    // Every job completed exactly once, as Core itself recorded it.
    assert.equal(
      await count(
        `SELECT COUNT(*) AS n FROM jobs WHERE job_type = 'extract_facts' AND status = 'completed'`,
      ),
      JOBS,
    );
    const completedTwice = await count(
      `SELECT COUNT(*) AS n FROM (SELECT job_id FROM job_claims WHERE outcome = 'completed'
         GROUP BY job_id HAVING COUNT(*) > 1) t`,
    );
    assert.equal(completedTwice, 0, 'no job completed twice');
    for (const [job, n] of rec.submitted)
      assert.equal(n, 1, `submit of ${job} acknowledged ${n} times`);

    // No double claim: one acknowledged claim per job (a claim whose answer died with the
    // replica is not acknowledged; its job came back after the lease and was claimed again).
    const claimsByJob = new Map<string, typeof rec.claims>();
    for (const c of rec.claims)
      claimsByJob.set(c.job_id, [...(claimsByJob.get(c.job_id) ?? []), c]);
    for (const [job, cs] of claimsByJob) {
      assert.equal(cs.length, 1, `job ${job} claimed ${cs.length} times: ${JSON.stringify(cs)}`);
    }
    assert.equal(claimsByJob.size, JOBS);

    // Fencing tokens rise with every claim of a job, whichever replica took it.
    const history = await db.query<{ job_id: string; fencing_token: string }>(
      `SELECT job_id, fencing_token FROM job_claims ORDER BY job_id, claimed_at, fencing_token`,
    );
    let reclaimed = 0;
    const last = new Map<string, number>();
    for (const row of history.rows) {
      const token = Number(row.fencing_token);
      const before = last.get(row.job_id);
      if (before !== undefined) {
        reclaimed++;
        assert.ok(token > before, `fencing of ${row.job_id} went from ${before} to ${token}`);
      }
      last.set(row.job_id, token);
    }
    for (const c of rec.claims) {
      assert.equal(c.fencing_token, last.get(c.job_id), 'the acknowledged claim is the latest one');
    }

    // The killed leader's agents carried on through the other replicas.
    assert.ok(orphans.length > 0);
    for (const id of orphans) {
      const later = rec.claims.filter((c) => c.agent === id && c.at > killedAt);
      assert.ok(
        later.length > 0,
        `agent ${id} of the killed replica claimed nothing after the kill`,
      );
      assert.ok(later.every((c) => c.replica !== leaderIndex));
    }
    // …and a surviving replica leads now (scans and sweeps go on).
    await waitFor('a surviving replica to lead', async () => {
      const now = await set.leaderPid();
      return now !== undefined && now !== leader && pids.includes(now);
    });
    console.log(
      `# ${reclaimed} claims reclaimed after their lease (answers lost with the killed replica)`,
    );
  },
);
