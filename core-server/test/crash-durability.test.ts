// Durability of the SQLite settings (WAL, synchronous=NORMAL) against a process crash: a real
// core-server child under signed claim/submit load is SIGKILLed mid-load; the reopened database
// must hold every submit the server acknowledged, exactly once, with no job claimed twice, and
// pass SQLite's integrity check. (synchronous=NORMAL can lose the last commits only on an OS
// crash or power loss, never on a process crash: docs/core-performance.md.)
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CAPABILITIES, RequestSigner, hasAllCapabilities } from '@retaia/protocol';
import type { RunningCoreServer } from '../src/index.js';
import { SqliteCoreStore } from '../src/store/sqlite/sqlite-core-store.js';
import type { CrashChildPlan, CrashChildReady } from './support/crash-child.js';
import { TestAgent } from './support/signed-test-client.js';

const JOBS = 240;
const AGENTS = 8;
/** Kill once this many submits were acknowledged: mid-load, with requests in flight. */
const KILL_AFTER_ACKS = 60;

test('kill -9 mid-load: no acknowledged submit lost or doubled, no double claim, intact file', async (t) => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'crash-durability-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const storageRoot = path.join(base, 'storage');
  const dataDir = path.join(base, 'data');
  await mkdir(path.join(storageRoot, 'INBOX'), { recursive: true });
  for (let i = 0; i < JOBS; i++) await writeFile(path.join(storageRoot, 'INBOX', `p${i}.jpg`), 'x');

  const child = fork(fileURLToPath(new URL('./support/crash-child.ts', import.meta.url)), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  t.after(() => child.kill('SIGKILL'));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  const ready = await new Promise<CrashChildReady>((resolve, reject) => {
    child.once('message', (m) => resolve(m as CrashChildReady));
    child.once('exit', (code) => reject(new Error(`core-server child exited early (${code})`)));
    child.send({ storageRoot, dataDir, agents: AGENTS } satisfies CrashChildPlan);
  });

  const endpoint = { apiUrl: ready.apiUrl } as RunningCoreServer;
  const claims = new Map<string, string[]>(); // job -> agents whose claim was acknowledged
  const acked = new Set<string>();
  let killed = false;
  const worker = async (c: CrashChildReady['agents'][number]) => {
    const a = new TestAgent(endpoint);
    a.agentId = c.agentId;
    a.token = c.token;
    a.signer = await RequestSigner.fromArmored(c.agentId, ready.privateKeyArmored);
    try {
      for (;;) {
        const list = (await a.get('/jobs?limit=20')).body as { job_id: string }[];
        if (list.length === 0) return;
        const id = list[Math.floor(Math.random() * list.length)]!.job_id;
        const claim = await a.claim(id);
        if (claim.status !== 200) continue;
        claims.set(id, [...(claims.get(id) ?? []), c.agentId]);
        const submit = await a.submit(id, {
          lock_token: claim.body.lock_token,
          fencing_token: claim.body.fencing_token,
          job_type: 'extract_facts',
          result: { facts_patch: { media_format: 'jpeg', width: 1, height: 1 } },
        });
        if (submit.status === 200) acked.add(id);
        if (acked.size >= KILL_AFTER_ACKS && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    } catch (err) {
      // After the kill every request fails to connect; before it, a failure is a real error.
      if (!killed) throw err;
    }
  };
  await Promise.all(ready.agents.map(worker));
  assert.ok(killed, `the load finished before ${KILL_AFTER_ACKS} acknowledged submits`);
  assert.equal(await exited, 'SIGKILL');

  const store = new SqliteCoreStore(dataDir);
  t.after(() => store.close());
  assert.equal(store.db.pragma('integrity_check', { simple: true }), 'ok');
  const completed = store.db
    .prepare(
      `SELECT job_id, COUNT(*) AS n FROM job_claims WHERE outcome = 'completed' GROUP BY job_id`,
    )
    .all() as { job_id: string; n: number }[];
  const completedIds = new Set(completed.map((r) => r.job_id));
  for (const id of acked) {
    assert.ok(completedIds.has(id), `acknowledged submit of ${id} lost`);
    assert.equal((await store.getJob(id))?.status, 'completed');
  }
  assert.deepEqual(
    completed.filter((r) => r.n !== 1),
    [],
    'a job completed more than once',
  );
  const doubles = [...claims].filter(([, agents]) => agents.length > 1);
  assert.deepEqual(doubles, [], 'a job was claimed twice while its lease was live');
  // Every acknowledged claim is on disk (the crash may add claims the client never saw answered).
  const claimRows = store.db.prepare('SELECT job_id FROM job_claims').all() as {
    job_id: string;
  }[];
  const claimed = new Set(claimRows.map((r) => r.job_id));
  for (const id of claims.keys()) assert.ok(claimed.has(id), `acknowledged claim of ${id} lost`);
  assert.ok(completedIds.size < JOBS, 'the kill happened before the queue drained');
  // The reopened queue offers exactly the pending jobs a facts agent may take, oldest first.
  const caps = [CAPABILITIES.facts];
  const expected = (await store.listPendingJobs())
    .filter((j) => hasAllCapabilities(caps, j.required_capabilities))
    .map((j) => j.job_id);
  const offered = await store.listClaimableJobs({
    effectiveCapabilities: caps,
    flags: {},
    limit: 500,
    nowMs: Date.now(),
  });
  assert.deepEqual(
    offered.map((o) => o.job.job_id),
    expected,
  );
  assert.ok(offered.length > 0);
});
