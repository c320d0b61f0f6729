/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked field by field */
// The job loop's requests are authenticated from the lookup cache and their credentials checked
// where they take effect (http/auth-at-commit.ts). These tests land a change to the credentials
// in the gap between a request's authentication and its commit, through another connection as
// the operator CLI or another replica would, on SQLite and on PostgreSQL: a revoked agent's
// claim, submit or poll must not get through, and a change that does not concern the agent must
// not refuse it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { generateAgentKey, RequestSigner } from '@retaia/protocol';
import pg from 'pg';
import { startPostgresCluster } from '../../scripts/test-support/postgres-cluster.js';
import type { CoreStore } from '../src/store/core-store.js';
import { fromAnotherConnection } from './support/another-connection.js';
import { startTestCore, TestAgent } from './support/signed-test-client.js';

const cluster = await startPostgresCluster();
after(() => cluster.stop());
if (cluster.skipReason) console.log(`# PostgreSQL cases skipped: ${cluster.skipReason}`);

/** One statement (`?` placeholders) on a connection of its own; returns the rows it changed. */
type OtherWriter = (sql: string, ...params: unknown[]) => Promise<number>;

const backends = [
  { name: 'sqlite', skip: undefined as string | undefined },
  { name: 'postgres', skip: cluster.skipReason },
] as const;

/** A Core with two pending jobs and an agent whose bearer and record are in the cache. */
async function coreWithCachedAgent(t: TestContext, backend: (typeof backends)[number]['name']) {
  const databaseUrl = backend === 'postgres' ? await cluster.createDatabase() : undefined;
  const core = await startTestCore(databaseUrl ? { databaseUrl } : {});
  t.after(() => core.dispose());
  const other: OtherWriter = async (sql, ...params) => {
    if (!databaseUrl) return fromAnotherConnection(core.dataDir, sql, ...params);
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      let n = 0;
      return (
        (
          await client.query(
            sql.replace(/\?/g, () => `$${++n}`),
            params,
          )
        ).rowCount ?? 0
      );
    } finally {
      await client.end();
    }
  };
  await mkdir(path.join(core.root, 'INBOX'), { recursive: true });
  await writeFile(path.join(core.root, 'INBOX', 'a.jpg'), 'photo a');
  await writeFile(path.join(core.root, 'INBOX', 'b.jpg'), 'photo b');
  await core.server.scanNow();
  await core.server.scanNow();
  const agent = await TestAgent.enrol(core.server);
  const jobs = (await agent.get('/jobs')).body as { job_id: string; job_type: string }[];
  assert.ok(jobs.length >= 2, JSON.stringify(jobs));
  return { other, agent, jobs, store: core.server.context.store };
}

/**
 * Runs `change` (once, or at every call) right before the store's `verb` does its work: after
 * the request was authenticated, before it commits. Counts the verb's calls.
 */
function changeBefore<K extends 'claimJobOnce' | 'completeJobOnce' | 'listClaimableJobs'>(
  store: CoreStore,
  verb: K,
  change: () => Promise<unknown>,
  { every = false } = {},
) {
  const original = (store[verb] as (...args: unknown[]) => Promise<unknown>).bind(store);
  const calls = { count: 0 };
  (store as any)[verb] = async (...args: unknown[]) => {
    calls.count++;
    if (every || calls.count === 1) await change();
    return original(...args);
  };
  return calls;
}

const revokeTokens = (other: OtherWriter, agent: TestAgent) => async () =>
  assert.equal(await other('DELETE FROM client_tokens WHERE client_id = ?', agent.clientId), 1);

/** A change to someone else's credentials: the triggers bump the version all the same. */
const unrelatedChange = (other: OtherWriter) => () =>
  other(
    `INSERT INTO clients (client_id, client_kind, approved_at, approved_by_user_id, created_at)
     VALUES (?, 'AGENT', 'x', 'u', 'x')`,
    randomUUID(),
  );

const jobStatus = async (store: CoreStore, jobId: string) => (await store.getJob(jobId))?.status;

for (const b of backends) {
  test(
    `[${b.name}] a token revoked after a claim was authenticated, before it commits: the claim is refused`,
    { skip: b.skip },
    async (t) => {
      const { other, agent, jobs, store } = await coreWithCachedAgent(t, b.name);
      assert.equal(
        (await agent.claim(jobs[0]!.job_id)).status,
        200,
        'a first claim fills the cache',
      );

      changeBefore(store, 'claimJobOnce', revokeTokens(other, agent));
      const refused = await agent.claim(jobs[1]!.job_id);
      assert.equal(refused.status, 401, JSON.stringify(refused.body));
      assert.equal(await jobStatus(store, jobs[1]!.job_id), 'pending', 'nothing was claimed');
    },
  );

  test(
    `[${b.name}] a token revoked after a submit was authenticated, before it commits: nothing completes`,
    { skip: b.skip },
    async (t) => {
      const { other, agent, jobs, store } = await coreWithCachedAgent(t, b.name);
      const facts = jobs.find((j) => j.job_type === 'extract_facts')!;
      const claimed = await agent.claim(facts.job_id);
      assert.equal(claimed.status, 200, JSON.stringify(claimed.body));

      changeBefore(store, 'completeJobOnce', revokeTokens(other, agent));
      const refused = await agent.submit(facts.job_id, {
        lock_token: claimed.body.lock_token,
        fencing_token: claimed.body.fencing_token,
        job_type: 'extract_facts',
        result: { facts_patch: { media_format: 'jpeg', width: 1, height: 1 } },
      });
      assert.equal(refused.status, 401, JSON.stringify(refused.body));
      assert.equal(await jobStatus(store, facts.job_id), 'claimed', 'still the agent’s, not done');
    },
  );

  test(
    `[${b.name}] a token revoked after a poll was authenticated, before it reads: the poll is refused`,
    { skip: b.skip },
    async (t) => {
      const { other, agent, store } = await coreWithCachedAgent(t, b.name);
      changeBefore(store, 'listClaimableJobs', revokeTokens(other, agent));
      const refused = await agent.get('/jobs');
      assert.equal(refused.status, 401, JSON.stringify(refused.body));
    },
  );

  test(
    `[${b.name}] a change to other credentials while a claim runs: it is authenticated again and lands once`,
    { skip: b.skip },
    async (t) => {
      const { other, agent, jobs, store } = await coreWithCachedAgent(t, b.name);
      const calls = changeBefore(store, 'claimJobOnce', unrelatedChange(other));
      const claimed = await agent.claim(jobs[0]!.job_id);
      assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
      assert.equal(calls.count, 2, 'run again after the recheck');
      assert.equal(claimed.body.fencing_token, 1, 'claimed once');
      assert.equal((await store.listJobClaims(jobs[0]!.job_id)).length, 1);
    },
  );

  test(
    `[${b.name}] credentials changing at every attempt: 503, retryable, and the job left pending`,
    { skip: b.skip },
    async (t) => {
      const { other, agent, jobs, store } = await coreWithCachedAgent(t, b.name);
      const calls = changeBefore(store, 'claimJobOnce', unrelatedChange(other), { every: true });
      const refused = await agent.claim(jobs[0]!.job_id);
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal(refused.body.code, 'TEMPORARY_UNAVAILABLE');
      assert.equal(refused.body.retryable, true);
      assert.equal(calls.count, 3);
      assert.equal(await jobStatus(store, jobs[0]!.job_id), 'pending');
    },
  );

  test(
    `[${b.name}] an agent re-keyed elsewhere signs with its new key: accepted, no security event`,
    { skip: b.skip },
    async (t) => {
      const { other, agent, jobs, store } = await coreWithCachedAgent(t, b.name);
      assert.equal((await agent.claim(jobs[0]!.job_id)).status, 200, 'the old key is in the cache');

      const rotated = await generateAgentKey('rotated elsewhere');
      await other(
        'UPDATE agents SET public_key = ?, fingerprint = ? WHERE agent_id = ?',
        rotated.publicKeyArmored,
        rotated.fingerprint,
        agent.agentId,
      );
      agent.signer = await RequestSigner.fromArmored(agent.agentId, rotated.privateKeyArmored);
      const claimed = await agent.claim(jobs[1]!.job_id);
      assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
      const rejected = (await store.listSecurityEvents()).filter(
        (e) => e.kind === 'signature_rejected',
      );
      assert.deepEqual(rejected, [], 'a stale cached key is not an attack');
    },
  );
}
