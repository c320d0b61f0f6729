/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked against the contract, not typed */
// Core's own check against the crafted-playlist attack: whatever an agent (old, buggy or
// hostile) submits, facts whose media_format is a playlist/indirection format are refused with
// a 422 that says why, and the asset keeps no such facts.
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

test('facts claiming an HLS/concat/… media_format get 422 with a clear message; real formats pass', async () => {
  await mkdir(path.join(core.root, 'INBOX'), { recursive: true });
  await writeFile(path.join(core.root, 'INBOX', 'innocent_clip.mp4'), '#EXTM3U\n'.repeat(20));
  await core.server.scanNow();
  await core.server.scanNow();
  const jobs = await agent.get('/jobs');
  const facts = jobs.body.find((j: any) => j.job_type === 'extract_facts');
  assert.ok(facts, JSON.stringify(jobs.body));
  const claim = await agent.claim(facts.job_id);
  assert.equal(claim.status, 200, JSON.stringify(claim.body));

  const submitAs = (media_format: string) =>
    agent.submit(facts.job_id, {
      lock_token: claim.body.lock_token,
      fencing_token: claim.body.fencing_token,
      job_type: 'extract_facts',
      result: {
        facts_patch: {
          media_format,
          duration_ms: 3000,
          video_codec: 'mpeg2video',
          width: 320,
          height: 240,
          fps: 25,
        },
      },
    });
  for (const format of ['hls', 'HLS', 'hls,applehttp', 'concat', 'ffconcat', 'dash', 'image2']) {
    const res = await submitAs(format);
    assert.equal(res.status, 422, `${format}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.code, 'VALIDATION_FAILED');
    assert.equal(res.body.retryable, false);
    assert.match(res.body.message, /media_format: refused: .* is a playlist or indirection format/);
    // The contract lists no 422 for submit; every 4xx body is an ErrorResponse all the same.
    assert.deepEqual(contract.schemaErrors('ErrorResponse', res.body), []);
  }
  const asset = await agent.get(`/assets/${facts.asset_uuid}`);
  assert.equal(asset.body.summary.state, 'PROCESSING_REVIEW', 'nothing was recorded');
  // The job is still ours: a real format is accepted (the check is not a blanket refusal).
  const ok = await submitAs('mpegts');
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
});
