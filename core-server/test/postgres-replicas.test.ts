/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked by value */
// Two Core replicas (two startCoreServer instances, one storage root) on one PostgreSQL
// database, over real HTTP: an agent enrolled through one replica works through the other, a job
// it claimed on one cannot be claimed again on the other, and its lease proof from one replica is
// honoured by the other (submit), which is what a load balancer in front of them needs.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import { startPostgresCluster } from '../../scripts/test-support/postgres-cluster.js';
import { startTestCore, TestAgent, type TestCore } from './support/signed-test-client.js';

const cluster = await startPostgresCluster();
const cores: TestCore[] = [];
after(async () => {
  for (const c of cores.reverse()) await c.dispose();
  await cluster.stop();
});

/** The same enrolled agent, talking to another replica. */
const through = (agent: TestAgent, core: TestCore): TestAgent =>
  Object.assign(Object.create(Object.getPrototypeOf(agent) as object), agent, {
    server: core.server,
  });

test(
  'two replicas on one PostgreSQL database share agents, jobs and leases',
  { skip: cluster.skipReason },
  async () => {
    const databaseUrl = await cluster.createDatabase();
    const a = await startTestCore({ databaseUrl });
    cores.push(a);
    const b = await startTestCore({ databaseUrl, storageRoot: a.root, initStorage: false });
    cores.push(b);
    const agentA = await TestAgent.enrol(a.server);
    const agentB = through(agentA, b);

    await mkdir(path.join(a.root, 'INBOX'), { recursive: true });
    await writeFile(path.join(a.root, 'INBOX', 'shared.jpg'), 'x'.repeat(100));
    await a.server.scanNow();
    await a.server.scanNow();

    // Replica B sees the jobs replica A's scan created, for the agent A enrolled.
    const jobs = await agentB.get('/jobs');
    assert.equal(jobs.status, 200, JSON.stringify(jobs.body));
    const facts = jobs.body.find((j: any) => j.job_type === 'extract_facts');
    assert.ok(facts, JSON.stringify(jobs.body));

    const claim = await agentA.claim(facts.job_id);
    assert.equal(claim.status, 200, JSON.stringify(claim.body));
    assert.equal(claim.body.fencing_token, 1);
    const again = await agentB.claim(facts.job_id);
    assert.equal(again.status, 409, 'claimed on A: not claimable on B');
    const stillListed = await agentB.get('/jobs');
    assert.equal(
      stillListed.body.some((j: any) => j.job_id === facts.job_id),
      false,
    );

    const hb = await agentB.heartbeat(facts.job_id, claim.body);
    assert.equal(hb.status, 200, JSON.stringify(hb.body));
    const submit = await agentB.submit(facts.job_id, {
      lock_token: claim.body.lock_token,
      fencing_token: claim.body.fencing_token,
      job_type: 'extract_facts',
      result: { facts_patch: { media_format: 'jpeg', width: 10, height: 10 } },
    });
    assert.equal(submit.status, 200, JSON.stringify(submit.body));
    const asset = await agentA.get(`/assets/${facts.asset_uuid}`);
    assert.equal(asset.body.summary.state, 'PROCESSING_REVIEW');
  },
);
