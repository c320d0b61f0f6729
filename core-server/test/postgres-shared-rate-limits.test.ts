// Attack: password guessing spread over the replicas behind a load balancer. With budgets kept
// in each process's memory, N replicas hand an attacker N budgets; on PostgreSQL the budgets
// live in the database, so the replicas refuse together, concurrent guesses included.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startPostgresCluster } from '../../scripts/test-support/postgres-cluster.js';
import { httpFrom } from './support/from-address.js';
import { startTestCore, type TestCore } from './support/signed-test-client.js';

const cluster = await startPostgresCluster();
const cores: TestCore[] = [];
after(async () => {
  for (const c of cores.reverse()) await c.dispose();
  await cluster.stop();
});

const PASSWORD = 'correct horse battery';
const BUDGET = 3;

async function twoReplicas(): Promise<[TestCore, TestCore]> {
  const databaseUrl = await cluster.createDatabase();
  const rateLimits = { loginFailuresPerWindow: BUDGET };
  const a = await startTestCore({ databaseUrl, rateLimits });
  cores.push(a);
  const b = await startTestCore({
    databaseUrl,
    rateLimits,
    storageRoot: a.root,
    initStorage: false,
  });
  cores.push(b);
  await a.server.operator.addUser('victim@example.com', PASSWORD);
  return [a, b];
}

const login = (core: TestCore, password: string) =>
  httpFrom('127.0.0.1', `${core.server.apiUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'victim@example.com', password }),
  });

test(
  'guesses alternated between two replicas spend one budget',
  { skip: cluster.skipReason },
  async () => {
    const [a, b] = await twoReplicas();
    const statuses = [];
    for (let i = 0; i < 2 * BUDGET; i++)
      statuses.push((await login(i % 2 ? b : a, 'guess')).status);
    assert.deepEqual(statuses, [401, 401, 401, 429, 429, 429]);
    // The refusal names when to come back, from either replica.
    const refused = await login(b, PASSWORD);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.code, 'TOO_MANY_ATTEMPTS');
    assert.ok(Number(refused.headers['retry-after']) >= 1);
  },
);

test(
  '40 concurrent guesses over two replicas: only the budget reaches the password check',
  { skip: cluster.skipReason },
  async () => {
    const [a, b] = await twoReplicas();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => login(i % 2 ? b : a, 'guess')),
    );
    const tally: Record<number, number> = {};
    for (const r of results) tally[r.status] = (tally[r.status] ?? 0) + 1;
    assert.deepEqual(tally, { 401: BUDGET, 429: 40 - BUDGET });
  },
);

test(
  'a success gives back its attempt on every replica, and the sweeper forgets old attempts',
  { skip: cluster.skipReason },
  async () => {
    const [a, b] = await twoReplicas();
    assert.equal((await login(a, 'guess')).status, 401);
    assert.equal((await login(b, PASSWORD)).status, 200);
    // the pair budget was reset by the success: three more failures before a refusal
    const statuses = [];
    for (let i = 0; i < BUDGET + 1; i++)
      statuses.push((await login(i % 2 ? a : b, 'guess')).status);
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    assert.ok((await a.server.context.limiter.trackedKeys()) > 0);
    await a.server.context.limiter.prune(0);
    assert.equal(await b.server.context.limiter.trackedKeys(), 0, 'pruned for every replica');
  },
);
