// Claims+submits per second and p50/p99 latency with 50 simulated agents on loopback (signed
// requests, real SQLite), for core-server and then, in the same process, for the minimal Core
// (support/minimal-core.ts: the least any Core can do per claim+submit, hand-written on
// node:http). The ratio between the two is core-server's own overhead; the minimal Core's
// figures are what this machine allows at all.
//
// The agents run in a child process (support/load-agents.ts), on raw keep-alive connections
// (fetch cost more CPU than the server it loaded). This process holds only the server, so
// `node --cpu-prof --import tsx bench/core-server-load.ts` profiles the server alone.
// Targets (docs/core-performance.md): server CPU <= 0.8 ms per claim+submit, >= 1,000
// claim+submit/s, claim/submit p99 < 50 ms, zero double claims. On a shared machine the wall-clock
// figures depend on what else runs; CPU per claim+submit is the steadier one.
//
// Bounded by job count (plus a hard deadline).
// Agents pick a random job of their poll by default; --claim-in-order makes them claim in list
// order and move on after a lost race, as the real agent does (the case Core's offer spreading
// is for: without it 50 such agents lose ~48 claims per job). --agent-order also skips ahead a
// random few jobs after a lost race, as our agent does (agent-core's claim-order.ts); the minimal
// Core, which does not spread its pollers, shows what that does against such a Core.
// --postgres runs core-server on a throwaway PostgreSQL cluster (fsync off, as for tests) instead
// of SQLite, and adds the database processes' CPU to the server's; it implies --no-minimal.
// --sql-times (SQLite) prints the time inside each statement per claim+submit (support/sql-timing.ts).
// Run: npx tsx bench/core-server-load.ts [jobs] [--log-info] [--separate-commits] [--claim-in-order]
//      [--agent-order] [--no-minimal] [--postgres] [--sql-times]
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import pino from 'pino';
import { CAPABILITIES } from '@retaia/protocol';
import { TestAgent, testKey } from '../core-server/test/support/signed-test-client.js';
import { startPostgresCluster } from '../scripts/test-support/postgres-cluster.js';
import { startBenchCore } from './support/bench-core.js';
import {
  AGENTS,
  BARE_PER_CLIENT,
  agentsInChild,
  type AgentCredentials,
  type LoadPlan,
} from './support/load-agents.js';
import { startMinimalCore } from './support/minimal-core.js';
import { cpuMsOfProcessesNamed } from './support/process-cpu.js';
import { timeStatements } from './support/sql-timing.js';

type Measured = Awaited<ReturnType<typeof agentsInChild>>;

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (label: string, xs: number[], note: string) =>
  `${label.padEnd(30)} n=${String(xs.length).padStart(5)}  p50 ${pct(xs, 50).toFixed(1).padStart(7)} ms  p99 ${pct(xs, 99).toFixed(1).padStart(7)} ms  (${note})`;
const cpuPerCycle = (r: Measured) => r.serverCpuMs / r.submit.length;
const perSecond = (r: Measured) => r.submit.length / r.seconds;

const COMPLETED_TWICE_SQL = `SELECT COUNT(*) AS n FROM (SELECT job_id FROM job_claims
  WHERE outcome = 'completed' GROUP BY job_id HAVING COUNT(*) > 1) AS twice`;

/** Jobs with more than one completed claim, read from core-server's database itself. */
async function completedTwice(base: string, databaseUrl: string | undefined): Promise<number> {
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return Number((await client.query<{ n: string }>(COMPLETED_TWICE_SQL)).rows[0]!.n);
    } finally {
      await client.end();
    }
  }
  const db = new Database(path.join(base, 'data', 'core.sqlite'), { readonly: true });
  try {
    return (db.prepare(COMPLETED_TWICE_SQL).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function startBareServer(): Promise<Server> {
  const bare = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{}');
  });
  return new Promise((resolve) => bare.listen(0, '127.0.0.1', () => resolve(bare)));
}

/** CPU of one node:crypto Ed25519 verification of a request-sized message, in ms. */
function ed25519VerifyMs(): number {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const data = Buffer.alloc(400, 1);
  const sig = sign(null, data, privateKey);
  for (let i = 0; i < 500; i++) verify(null, data, publicKey, sig);
  const N = 3000;
  const t = process.cpuUsage();
  for (let i = 0; i < N; i++) verify(null, data, publicKey, sig);
  const cpu = process.cpuUsage(t);
  return (cpu.user + cpu.system) / 1000 / N;
}

/** The agents against one server, with a bare node:http server beside it for the floor. */
async function measure(plan: Omit<LoadPlan, 'bareUrl'>): Promise<Measured> {
  const bare = await startBareServer();
  try {
    return await agentsInChild({
      ...plan,
      bareUrl: `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`,
    });
  } finally {
    bare.close();
  }
}

function report(label: string, r: Measured, jobCount: number, completedTwiceCount: string) {
  const n = r.submit.length;
  const perCycle = cpuPerCycle(r);
  console.log(`\n== ${label}`);
  console.log(
    `${AGENTS} agents (separate process), ${n} jobs claimed+submitted in ${r.seconds.toFixed(1)} s (${r.lost} lost claim races)`,
  );
  console.log(
    `double claims: ${r.doubleClaims} acknowledged twice, ${completedTwiceCount} jobs completed twice (target 0)`,
  );
  console.log(`throughput: ${perSecond(r).toFixed(1)} claim+submit/s (target >= 1000)`);
  // CPU time is steadier than wall time on a shared machine: it is what the server spends.
  console.log(
    `server CPU during the load: ${(r.serverCpuMs / 1000).toFixed(1)} s = ${perCycle.toFixed(2)} ms per claim+submit ` +
      `(${((r.serverSystemMs / r.serverCpuMs) * 100).toFixed(0)} % in the kernel; incl. its share of polls and lost races; target <= 0.8)`,
  );
  // Whether the agents' process is the bottleneck: a server that is not kept busy wakes up for
  // fewer requests at a time, and each costs it more.
  const share = (cpuMs: number) => `${((cpuMs / 1000 / r.seconds) * 100).toFixed(0)} % of a core`;
  console.log(
    `agents' process CPU: ${(r.agentsCpuMs / n).toFixed(2)} ms per claim+submit, ${share(r.agentsCpuMs)}; ` +
      `server: ${share(r.serverCpuMs)}`,
  );
  const requestsPerCycle = (r.claim.length + r.submit.length + r.listLoaded.length) / n;
  const getCpu = r.baselineCpuMs / r.baseline.length;
  console.log(
    `server CPU per unsigned GET /app/policy: ${getCpu.toFixed(3)} ms; ` +
      `claim+submit / unsigned GET: ${(perCycle / getCpu).toFixed(1)}× ` +
      `(requests per claim+submit incl. polls and lost races: ${requestsPerCycle.toFixed(2)})`,
  );
  // Below any server here: every request's bare HTTP cost, and an Ed25519 check per signed write
  // (claims, lost claims, submits). Not reachable either: it leaves out the writes themselves.
  const bareMs = r.bareCpuMs / (AGENTS * BARE_PER_CLIENT);
  const verifyMs = ed25519VerifyMs();
  const signedPerCycle = (r.claim.length + r.submit.length) / n;
  const floor = requestsPerCycle * bareMs + signedPerCycle * verifyMs;
  console.log(
    `HTTP+verify alone: bare node:http request (${AGENTS} concurrent clients) ${bareMs.toFixed(3)} ms CPU × ${requestsPerCycle.toFixed(2)} + ` +
      `Ed25519 verify ${verifyMs.toFixed(3)} ms × ${signedPerCycle.toFixed(2)} = ${floor.toFixed(2)} ms per claim+submit; ` +
      `÷ that: ${(perCycle / floor).toFixed(1)}×`,
  );
  console.log(fmt('baseline GET /app/policy', r.baseline, 'sequential, unsigned'));
  console.log(fmt(`GET /jobs?limit=200 (idle)`, r.listIdle, `sequential, ${jobCount} assets`));
  console.log(fmt('GET /jobs?limit=200 (load)', r.listLoaded, `${AGENTS} concurrent`));
  console.log(fmt('claim', r.claim, `${AGENTS} concurrent, target p99 < 50 ms`));
  console.log(fmt('submit', r.submit, `${AGENTS} concurrent, target p99 < 50 ms`));
}

/** Every query core-server sends (a round trip each: node-postgres does not pipeline). */
let queriesSent = 0;
function countQueries(): void {
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    queriesSent++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
}

async function main(jobCount: number) {
  const postgres = process.argv.includes('--postgres') ? await startPostgresCluster() : undefined;
  if (postgres?.skipReason) throw new Error(`--postgres: ${postgres.skipReason}`);
  const databaseUrl = await postgres?.createDatabase();
  if (databaseUrl) countQueries();
  const { base, server } = await startBenchCore('bench-load-', jobCount, {
    ...(databaseUrl ? { databaseUrl } : {}),
    rateLimits: { deviceStartsPerWindow: 1000 },
    // --log-info: the production default (pino at info, request logging on) writing to /dev/null.
    logger: process.argv.includes('--log-info')
      ? pino({ name: 'core-server' }, pino.destination('/dev/null'))
      : pino({ level: 'silent' }),
  });
  if (process.argv.includes('--separate-commits')) {
    // The lever's "before": nonce, Idempotency-Key and operation in their own commits, as a
    // store without the one-commit verbs does.
    const store = server.context.store as unknown as Record<string, unknown>;
    store.claimJobOnce = undefined;
    store.completeJobOnce = undefined;
  }
  let serverOpen = true;
  try {
    await server.scanNow();
    await server.scanNow();
    const enrolled: TestAgent[] = [];
    for (let i = 0; i < AGENTS; i++)
      enrolled.push(await TestAgent.enrol(server, { capabilities: [CAPABILITIES.facts] }));
    const key = await testKey();
    const agentOrder = process.argv.includes('--agent-order');
    const agents: AgentCredentials[] = enrolled.map((a) => ({
      agentId: a.agentId,
      token: a.token,
    }));
    const plan = {
      privateKeyArmored: key.privateKeyArmored,
      agents,
      claimInOrder: process.argv.includes('--claim-in-order') || agentOrder,
      agentOrder,
    };

    const pgCpuAtStart = cpuMsOfProcessesNamed('postgres');
    const queriesAtStart = queriesSent;
    const sqlTimes =
      process.argv.includes('--sql-times') && !databaseUrl
        ? timeStatements((server.context.store as unknown as { db: Database.Database }).db)
        : undefined;
    sqlTimes?.start();
    const ours = await measure({ ...plan, apiUrl: server.apiUrl });
    sqlTimes?.report(ours.submit.length);
    const pgCpuMs = cpuMsOfProcessesNamed('postgres') - pgCpuAtStart;
    const queries = queriesSent - queriesAtStart;
    report(
      databaseUrl ? 'core-server on PostgreSQL' : 'core-server',
      ours,
      jobCount,
      String(await completedTwice(base, databaseUrl)),
    );
    if (databaseUrl) {
      // Warm-up and baseline phases included (the agents' run as a whole): an upper bound.
      console.log(
        `queries sent to PostgreSQL during the agents' run: ${(queries / ours.submit.length).toFixed(1)} per claim+submit`,
      );
      console.log(
        `PostgreSQL processes' CPU during the agents' run: ${(pgCpuMs / ours.submit.length).toFixed(2)} ms per claim+submit; ` +
          `core-server + PostgreSQL: ${(cpuPerCycle(ours) + pgCpuMs / ours.submit.length).toFixed(2)} ms`,
      );
    }
    if (databaseUrl || process.argv.includes('--no-minimal')) return;

    // The same agents (tokens, keys) against the minimal Core, with core-server closed so this
    // process's CPU is the minimal Core's alone.
    await server.close();
    serverOpen = false;
    const minimal = await startMinimalCore(
      path.join(base, 'data'),
      agents.map((a) => ({ ...a, publicKeyArmored: key.publicKeyArmored })),
      jobCount,
    );
    const least = await measure({ ...plan, apiUrl: minimal.apiUrl }).finally(minimal.close);
    const commits = minimal.batches;
    report(
      'minimal Core (support/minimal-core.ts: node:http, no framework, same wire and agents)',
      least,
      jobCount,
      'n/a',
    );
    console.log(
      `minimal Core: ${commits.length} commits, ${(commits.reduce((x, y) => x + y, 0) / commits.length).toFixed(1)} writes per commit`,
    );
    console.log('\n== core-server ÷ minimal Core, same process, same agents');
    console.log(
      `server CPU per claim+submit: ${cpuPerCycle(ours).toFixed(2)} ÷ ${cpuPerCycle(least).toFixed(2)} = ${(cpuPerCycle(ours) / cpuPerCycle(least)).toFixed(2)}× ` +
        `(the 0.8 ms target is ${(0.8 / cpuPerCycle(least)).toFixed(2)}× the minimal Core)`,
    );
    console.log(
      `throughput: ${perSecond(ours).toFixed(0)} ÷ ${perSecond(least).toFixed(0)} claim+submit/s = ${(perSecond(ours) / perSecond(least)).toFixed(2)}×; ` +
        `claim p99: ${pct(ours.claim, 99).toFixed(1)} ÷ ${pct(least.claim, 99).toFixed(1)} ms = ${(pct(ours.claim, 99) / pct(least.claim, 99)).toFixed(2)}×`,
    );
  } finally {
    if (serverOpen) await server.close();
    await rm(base, { recursive: true, force: true });
    await postgres?.stop();
  }
}

const jobs = process.argv.slice(2).find((a) => /^\d+$/.test(a));
await main(Number(jobs ?? 1000));
