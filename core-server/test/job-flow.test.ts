/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked against the contract, not typed */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadContractValidator } from '@retaia/protocol/contract-validator';
import { TestAgent, startTestCore, type TestCore } from './support/signed-test-client.js';

const contract = loadContractValidator();
let core: TestCore;
let agent: TestAgent;

before(async () => {
  core = await startTestCore();
  agent = await TestAgent.enrol(core.server);
});
after(() => core.dispose());

async function readyPhoto(name: string) {
  await mkdir(path.join(core.root, 'INBOX'), { recursive: true });
  await writeFile(path.join(core.root, 'INBOX', name), 'x'.repeat(100));
  await core.server.scanNow();
  await core.server.scanNow();
}

test('a discovered photo gets facts + preview jobs that an agent can claim, heartbeat and submit', async () => {
  await readyPhoto('a.jpg');
  const jobs = await agent.get('/jobs');
  assert.equal(jobs.status, 200);
  assert.deepEqual(contract.responseErrors('GET', '/jobs', 200, jobs.body), []);
  const facts = jobs.body.find((j: any) => j.job_type === 'extract_facts');
  assert.ok(facts, JSON.stringify(jobs.body));
  assert.equal(facts.source.original_relative, 'INBOX/a.jpg');

  const claim = await agent.claim(facts.job_id);
  assert.equal(claim.status, 200, JSON.stringify(claim.body));
  assert.deepEqual(contract.responseErrors('POST', '/jobs/{job_id}/claim', 200, claim.body), []);
  assert.equal(claim.body.fencing_token, 1);

  const asset = await agent.get(`/assets/${facts.asset_uuid}`);
  assert.equal(asset.body.summary.state, 'PROCESSING_REVIEW');
  assert.match(asset.headers.get('etag')!, /^"[^"]+"$/);
  assert.deepEqual(contract.responseErrors('GET', '/assets/{uuid}', 200, asset.body), []);

  const hb = await agent.heartbeat(facts.job_id, claim.body);
  assert.equal(hb.status, 200, JSON.stringify(hb.body));
  assert.deepEqual(contract.responseErrors('POST', '/jobs/{job_id}/heartbeat', 200, hb.body), []);

  const submit = await agent.submit(facts.job_id, {
    lock_token: claim.body.lock_token,
    fencing_token: claim.body.fencing_token,
    job_type: 'extract_facts',
    result: { facts_patch: { media_format: 'jpeg', width: 10, height: 10 } },
  });
  assert.equal(submit.status, 200, JSON.stringify(submit.body));

  const policy = await agent.get('/app/policy');
  assert.equal(policy.status, 200);
  assert.deepEqual(contract.responseErrors('GET', '/app/policy', 200, policy.body), []);
  assert.equal(policy.body.server_policy.feature_flags['features.ai.transcribe_audio'], false);
});
