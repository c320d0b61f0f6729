// Claims+submits per second and p99 latency with 50 simulated agents on loopback (signed
// requests, real SQLite), against the p99 of an unsigned bearer-only GET in the same run.
// Bounded by job count. Run: npx tsx bench/core-server-load.ts [jobs]
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { CAPABILITIES } from '@retaia/protocol';
import { startCoreServer } from '../core-server/src/index.js';
import { TestAgent } from '../core-server/test/support/signed-test-client.js';

const JOBS = Number(process.argv[2] ?? 1000);
const AGENTS = 50;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function main() {
  const base = await mkdtemp(path.join(os.tmpdir(), 'bench-load-'));
  const root = path.join(base, 'storage');
  await mkdir(path.join(root, 'INBOX'), { recursive: true });
  for (let i = 0; i < JOBS; i++) await writeFile(path.join(root, 'INBOX', `p${i}.jpg`), 'x');
  const server = await startCoreServer({
    storageRoot: root,
    storageId: 'bench',
    dataDir: path.join(base, 'data'),
    port: 0,
    scanIntervalMs: 0,
    stabilityWindowMs: 0,
    deviceFlowIntervalSeconds: 0,
    rateLimits: { deviceStartsPerWindow: 1000 },
    logger: pino({ level: 'silent' }),
  });
  try {
    await server.scanNow();
    await server.scanNow();
    const agents = [];
    for (let i = 0; i < AGENTS; i++)
      agents.push(await TestAgent.enrol(server, { capabilities: [CAPABILITIES.facts] }));

    const baseline: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await agents[i % AGENTS]!.get('/app/policy');
      baseline.push(performance.now() - t);
    }

    const claimLat: number[] = [];
    const submitLat: number[] = [];
    let lost = 0;
    const jobs = ((await agents[0]!.get(`/jobs?limit=500`)).body as { job_id: string }[]).map(
      (j) => j.job_id,
    );
    const queue = [...jobs];
    const started = performance.now();
    await Promise.all(
      agents.map(async (a) => {
        for (;;) {
          let id = queue.shift();
          if (!id) {
            const more = (await a.get('/jobs?limit=200')).body as { job_id: string }[];
            if (more.length === 0) return;
            id = more[Math.floor(Math.random() * more.length)]!.job_id;
          }
          let t = performance.now();
          const c = await a.claim(id);
          claimLat.push(performance.now() - t);
          if (c.status !== 200) {
            lost++;
            continue;
          }
          t = performance.now();
          const s = await a.submit(id, {
            lock_token: c.body.lock_token,
            fencing_token: c.body.fencing_token,
            job_type: 'extract_facts',
            result: { facts_patch: { media_format: 'jpeg', width: 1, height: 1 } },
          });
          submitLat.push(performance.now() - t);
          if (s.status !== 200) throw new Error(`submit ${s.status}`);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${AGENTS} agents, ${submitLat.length} jobs claimed+submitted in ${seconds.toFixed(1)} s (${lost} lost claim races)`,
    );
    console.log(`throughput: ${(submitLat.length / seconds).toFixed(1)} claim+submit/s`);
    console.log(
      `baseline GET /app/policy p50 ${pct(baseline, 50).toFixed(1)} ms p99 ${pct(baseline, 99).toFixed(1)} ms (sequential)`,
    );
    console.log(
      `claim  p50 ${pct(claimLat, 50).toFixed(1)} ms p99 ${pct(claimLat, 99).toFixed(1)} ms (50 concurrent)`,
    );
    console.log(
      `submit p50 ${pct(submitLat, 50).toFixed(1)} ms p99 ${pct(submitLat, 99).toFixed(1)} ms (50 concurrent)`,
    );
    console.log(
      `ratio claim p99 / baseline p99: ${(pct(claimLat, 99) / pct(baseline, 99)).toFixed(1)}`,
    );
  } finally {
    await server.close();
    await rm(base, { recursive: true, force: true });
  }
}

await main();
