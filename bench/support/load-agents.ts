// The load bench's agents, in a child process of their own (in the server's process their
// signing and JSON work would share its event loop and be billed as server latency): runAgents is
// the child's side, agentsInChild the parent's, which also reads the server process's CPU at
// each phase edge the child announces.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nextAfterLostRace } from '../../agent-core/src/runtime/claim-order.js';
import { BenchAgent } from './bench-agent.js';
import { RawHttpConnection } from './raw-http-client.js';

export const AGENTS = 50;
const BASELINE_GETS = 500;
// 10,000 bare requests after 2,500 of warm-up: with 2 warm-up requests per client and 2,000
// timed ones the figure was 2–3× too high (a cold JIT, fixed costs over a short phase).
const BARE_WARMUP_PER_CLIENT = 50;
export const BARE_PER_CLIENT = 200;
const DEADLINE_MS = 5 * 60_000;

export interface AgentCredentials {
  agentId: string;
  token: string;
}
export interface LoadPlan {
  apiUrl: string;
  /** A bare node:http server in the parent: the cost of a request with no framework at all. */
  bareUrl: string;
  privateKeyArmored: string;
  agents: AgentCredentials[];
  /** Each agent polls and claims in list order, moving on to the next job after a lost race. */
  claimInOrder: boolean;
  /** With claimInOrder: after a lost race, skip ahead as the agent does (claim-order.ts). */
  agentOrder: boolean;
}
export interface LoadResult {
  seconds: number;
  lost: number;
  /** Jobs whose claim was acknowledged (200) more than once: must stay 0. */
  doubleClaims: number;
  baseline: number[];
  listIdle: number[];
  listLoaded: number[];
  claim: number[];
  submit: number[];
  /** CPU the agents' process spent during the load, in ms. */
  agentsCpuMs: number;
}

const jobIds = (json: string) => (JSON.parse(json) as { job_id: string }[]).map((j) => j.job_id);

/** Child process: the 50 agents. Talks to the server only over HTTP on loopback. */
async function runAgents(plan: LoadPlan): Promise<LoadResult> {
  const agents = await Promise.all(
    plan.agents.map((c) =>
      BenchAgent.open(plan.apiUrl, c.agentId, c.token, plan.privateKeyArmored),
    ),
  );

  // Warm the server's code paths (JIT) before anything is timed: a few polls and policy reads.
  for (let i = 0; i < 100; i++)
    await agents[i % AGENTS]!.get(i % 2 ? '/app/policy' : '/jobs?limit=5');
  const baseline: number[] = [];
  process.send!({ kind: 'phase', phase: 'baseline', edge: 'start' });
  for (let i = 0; i < BASELINE_GETS; i++) {
    const t = performance.now();
    await agents[i % AGENTS]!.get('/app/policy');
    baseline.push(performance.now() - t);
  }
  process.send!({ kind: 'phase', phase: 'baseline', edge: 'end' });
  // The bare server is asked as the load asks Core: AGENTS clients at once (batched wake-ups make
  // a request cheaper than one asked alone).
  const bareRound = (perClient: number) =>
    Promise.all(
      Array.from({ length: AGENTS }, async () => {
        const conn = await RawHttpConnection.open(plan.bareUrl);
        for (let i = 0; i < perClient; i++) await conn.request('GET', '/');
        conn.close();
      }),
    );
  await bareRound(BARE_WARMUP_PER_CLIENT);
  process.send!({ kind: 'phase', phase: 'bare', edge: 'start' });
  await bareRound(BARE_PER_CLIENT);
  process.send!({ kind: 'phase', phase: 'bare', edge: 'end' });
  // What one poll costs the server with the full backlog pending and nobody else talking.
  const listIdle: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    await agents[i % AGENTS]!.get('/jobs?limit=200');
    listIdle.push(performance.now() - t);
  }

  const claim: number[] = [];
  const submit: number[] = [];
  const listLoaded: number[] = [];
  const claimed = new Set<string>();
  let doubleClaims = 0;
  let lost = 0;
  const jobs = jobIds((await agents[0]!.get(`/jobs?limit=500`)).body);
  const queue = plan.claimInOrder ? [] : [...jobs];
  process.send!({ kind: 'phase', phase: 'load', edge: 'start' });
  const started = performance.now();
  const agentsCpuAtStart = process.cpuUsage();
  await Promise.all(
    agents.map(async (a) => {
      /** The rest of the agent's last poll, when it claims in list order. */
      let inOrder: string[] = [];
      while (performance.now() - started < DEADLINE_MS) {
        let id = plan.claimInOrder ? inOrder.shift() : queue.shift();
        if (!id) {
          const t = performance.now();
          const list = jobIds((await a.get('/jobs?limit=200')).body);
          listLoaded.push(performance.now() - t);
          if (list.length === 0) return;
          if (plan.claimInOrder) {
            inOrder = list;
            id = inOrder.shift()!;
          } else id = list[Math.floor(Math.random() * list.length)]!;
        }
        let t = performance.now();
        const c = await a.claim(id);
        claim.push(performance.now() - t);
        if (c.status !== 200) {
          lost++;
          // The agent's own move after a lost race (agent-core's claim-order.ts).
          if (plan.agentOrder) inOrder = inOrder.slice(nextAfterLostRace(0) - 1);
          continue;
        }
        inOrder = []; // claimed: the next claim starts from a fresh poll
        if (claimed.has(id)) doubleClaims++;
        claimed.add(id);
        t = performance.now();
        const lock = JSON.parse(c.body) as { lock_token: string; fencing_token: number };
        const s = await a.submit(id, {
          lock_token: lock.lock_token,
          fencing_token: lock.fencing_token,
          job_type: 'extract_facts',
          result: { facts_patch: { media_format: 'jpeg', width: 1, height: 1 } },
        });
        submit.push(performance.now() - t);
        if (s.status !== 200) throw new Error(`submit ${s.status} ${s.body}`);
      }
    }),
  );
  for (const a of agents) a.close();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(agentsCpuAtStart);
  const agentsCpuMs = (cpu.user + cpu.system) / 1000;
  return {
    seconds,
    lost,
    doubleClaims,
    baseline,
    listIdle,
    listLoaded,
    claim,
    submit,
    agentsCpuMs,
  };
}

type ChildMessage =
  /** Start or end of a timed phase: the server's CPU is read at each edge. */
  | { kind: 'phase'; phase: 'baseline' | 'bare' | 'load'; edge: 'start' | 'end' }
  | { kind: 'done'; result: LoadResult }
  | { kind: 'error'; error: string };

/** Runs the agents in a child process; also measures this (server) process's CPU during the load. */
export function agentsInChild(plan: LoadPlan): Promise<
  LoadResult & {
    serverCpuMs: number;
    serverSystemMs: number;
    baselineCpuMs: number;
    bareCpuMs: number;
  }
> {
  const child = fork(fileURLToPath(import.meta.url), ['--agents'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`agents did not finish within ${DEADLINE_MS + 60_000} ms`));
    }, DEADLINE_MS + 60_000);
    let cpuAtStart = process.cpuUsage();
    const cpuMsSince = (start: NodeJS.CpuUsage) => {
      const cpu = process.cpuUsage(start);
      return (cpu.user + cpu.system) / 1000;
    };
    const phaseCpuMs = { baseline: NaN, bare: NaN };
    child.on('message', (m) => {
      const msg = m as ChildMessage;
      if (msg.kind === 'phase') {
        if (msg.edge === 'start') cpuAtStart = process.cpuUsage();
        else if (msg.phase !== 'load') phaseCpuMs[msg.phase] = cpuMsSince(cpuAtStart);
        return;
      }
      clearTimeout(timer);
      const cpu = process.cpuUsage(cpuAtStart);
      if (msg.kind === 'done')
        resolve({
          ...msg.result,
          serverCpuMs: (cpu.user + cpu.system) / 1000,
          serverSystemMs: cpu.system / 1000,
          baselineCpuMs: phaseCpuMs.baseline,
          bareCpuMs: phaseCpuMs.bare,
        });
      else reject(new Error(`agent process: ${msg.error}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agent process exited with ${code} before reporting`));
    });
    child.send(plan);
  });
}

if (process.argv.includes('--agents')) {
  process.once('message', (plan) => {
    runAgents(plan as LoadPlan).then(
      (result) => process.send!({ kind: 'done', result }, () => process.exit(0)),
      (err: unknown) =>
        process.send!({ kind: 'error', error: String((err as Error)?.stack ?? err) }, () =>
          process.exit(1),
        ),
    );
  });
}
