/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked against the contract, not typed */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { loadContractValidator } from '@retaia/protocol/contract-validator';
import { TestAgent, startTestCore } from './support/signed-test-client.js';

const contract = loadContractValidator();

async function pendingJob(
  core: Awaited<ReturnType<typeof startTestCore>>,
  agent: TestAgent,
  name: string,
  type = 'extract_facts',
) {
  await writeFile(path.join(core.root, 'INBOX', name), randomBytes(64));
  await core.server.scanNow();
  await core.server.scanNow();
  const jobs = (await agent.get('/jobs')).body as any[];
  const job = jobs.find(
    (j) => j.source.original_relative === `INBOX/${name}` && j.job_type === type,
  );
  assert.ok(job);
  return job;
}

test('20 concurrent claims of one job: exactly one 200', async () => {
  const core = await startTestCore();
  try {
    const agents = await Promise.all(Array.from({ length: 4 }, () => TestAgent.enrol(core.server)));
    const job = await pendingJob(core, agents[0]!, 'race.jpg');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => agents[i % 4]!.claim(job.job_id)),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 409).length, 19);
    for (const r of results.filter((x) => x.status === 409)) {
      assert.deepEqual(contract.schemaErrors('ErrorResponse', r.body), []);
    }
  } finally {
    await core.dispose();
  }
});

test('expired lease → reclaim with a higher fencing token → old holder gets 409 STALE_LOCK_TOKEN; bad tokens 423', async () => {
  // 1 s TTL: short enough to expire in the test, long enough for a loaded CI machine to send the
  // few requests between the reclaim and the first heartbeat.
  const core = await startTestCore({ leaseTtlSeconds: 1, sweepIntervalMs: 60_000 });
  try {
    const a = await TestAgent.enrol(core.server);
    const b = await TestAgent.enrol(core.server);
    const job = await pendingJob(core, a, 'lease.jpg');
    const first = await a.claim(job.job_id);
    assert.equal(first.body.fencing_token, 1);
    await new Promise((r) => setTimeout(r, 1200));
    await core.server.sweepNow();
    const asset = await a.get(`/assets/${job.asset_uuid}`);
    assert.equal(
      asset.body.summary.state,
      'READY',
      'only job returned to pending → asset READY again',
    );
    const second = await b.claim(job.job_id);
    assert.equal(second.status, 200);
    assert.equal(second.body.fencing_token, 2);

    const hb = await a.heartbeat(job.job_id, first.body);
    assert.equal(hb.status, 409);
    assert.equal(hb.body.code, 'STALE_LOCK_TOKEN');
    assert.deepEqual(contract.responseErrors('POST', '/jobs/{job_id}/heartbeat', 409, hb.body), []);
    const sub = await a.submit(job.job_id, {
      lock_token: first.body.lock_token,
      fencing_token: 1,
      job_type: 'extract_facts',
      result: { facts_patch: { media_format: 'jpeg', width: 1, height: 1 } },
    });
    assert.equal(sub.status, 409);
    assert.equal(sub.body.code, 'STALE_LOCK_TOKEN');
    assert.deepEqual(contract.responseErrors('POST', '/jobs/{job_id}/submit', 409, sub.body), []);

    const invalid = await b.heartbeat(job.job_id, { lock_token: 'nope', fencing_token: 2 });
    assert.equal(invalid.status, 423);
    assert.equal(invalid.body.code, 'LOCK_INVALID');
    assert.deepEqual(
      contract.responseErrors('POST', '/jobs/{job_id}/heartbeat', 423, invalid.body),
      [],
    );
    const missing = await b.signed('POST', `/jobs/${job.job_id}/heartbeat`, { fencing_token: 2 });
    assert.equal(missing.status, 423);
    assert.equal(missing.body.code, 'LOCK_REQUIRED');

    // Heartbeats keep a short lease alive past its TTL (1.2 s of 200 ms beats: each beat has
    // 800 ms to arrive, which a loaded CI machine needs).
    for (let i = 0; i < 6; i++) {
      assert.equal((await b.heartbeat(job.job_id, second.body)).status, 200);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal((await b.heartbeat(job.job_id, second.body)).status, 200);
    await core.server.sweepNow();
    assert.equal((await core.server.context.store.getJob(job.job_id))!.status, 'claimed');
    const claims = await core.server.context.store.listJobClaims(job.job_id);
    assert.deepEqual(
      claims.map((c) => [c.fencing_token, c.outcome]),
      [
        [1, 'expired'],
        [2, null],
      ],
    );
  } finally {
    await core.dispose();
  }
});

test('fail: retryable goes back to pending until maxAttempts, then failed; non-retryable fails at once; reasons kept', async () => {
  const core = await startTestCore({ maxAttempts: 2 });
  try {
    const a = await TestAgent.enrol(core.server);
    const job = await pendingJob(core, a, 'fail.jpg');
    const c1 = await a.claim(job.job_id);
    const f1 = await a.fail(job.job_id, {
      lock_token: c1.body.lock_token,
      fencing_token: c1.body.fencing_token,
      error_code: 'TIMEOUT',
      retryable: true,
    });
    assert.equal(f1.status, 200);
    assert.equal(f1.body.status, 'pending');
    assert.equal((await a.get(`/assets/${job.asset_uuid}`)).body.summary.state, 'READY');
    const c2 = await a.claim(job.job_id);
    assert.equal(c2.body.fencing_token, 2);
    const f2 = await a.fail(job.job_id, {
      lock_token: c2.body.lock_token,
      fencing_token: 2,
      error_code: 'TIMEOUT',
      message: 'again',
      retryable: true,
    });
    assert.equal(f2.body.status, 'failed');
    const claims = await core.server.context.store.listJobClaims(job.job_id);
    assert.deepEqual(
      claims.map((c) => [c.outcome, c.error_code]),
      [
        ['retry', 'TIMEOUT'],
        ['failed', 'TIMEOUT'],
      ],
    );

    const other = (await a.get('/jobs')).body.find(
      (j: any) => j.asset_uuid === job.asset_uuid && j.job_type === 'generate_preview',
    );
    const c3 = await a.claim(other.job_id);
    const f3 = await a.fail(other.job_id, {
      lock_token: c3.body.lock_token,
      fencing_token: 1,
      error_code: 'CORRUPT_SOURCE',
      retryable: false,
    });
    assert.equal(f3.body.status, 'failed');
  } finally {
    await core.dispose();
  }
});

test('idempotency: same key + same body replays, other body conflicts; a completed job answers its repeated submit', async () => {
  const core = await startTestCore();
  try {
    const a = await TestAgent.enrol(core.server);
    const job = await pendingJob(core, a, 'idem.jpg');
    const c = await a.claim(job.job_id);
    const body = {
      lock_token: c.body.lock_token,
      fencing_token: c.body.fencing_token,
      job_type: 'extract_facts',
      result: { facts_patch: { media_format: 'jpeg', width: 2, height: 3 } },
    };
    const first = await a.submit(job.job_id, body, 'key-1');
    assert.equal(first.status, 200);
    const again = await a.submit(job.job_id, body, 'key-1');
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);
    const conflict = await a.submit(
      job.job_id,
      { ...body, result: { facts_patch: { media_format: 'png', width: 2, height: 3 } } },
      'key-1',
    );
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.code, 'IDEMPOTENCY_CONFLICT');
    assert.deepEqual(
      contract.responseErrors('POST', '/jobs/{job_id}/submit', 409, conflict.body),
      [],
    );
    const noKey = await a.signed('POST', `/jobs/${job.job_id}/submit`, body);
    assert.equal(noKey.status, 422);
    // Minimal facts are enforced.
    const other = (await a.get('/jobs')).body.find((j: any) => j.job_type === 'extract_facts');
    if (other) {
      const oc = await a.claim(other.job_id);
      const thin = await a.submit(other.job_id, {
        lock_token: oc.body.lock_token,
        fencing_token: 1,
        job_type: 'extract_facts',
        result: { facts_patch: { media_format: 'jpeg' } },
      });
      assert.equal(thin.status, 422);
      assert.match(thin.body.message, /width, height/);
    }
  } finally {
    await core.dispose();
  }
});

test('restart mid-lease keeps jobs, leases and uploads', async () => {
  const core = await startTestCore();
  const a = await TestAgent.enrol(core.server);
  const job = await pendingJob(core, a, 'restart.jpg', 'generate_preview');
  const c = await a.claim(job.job_id);
  const etag = (await a.get(`/assets/${job.asset_uuid}`)).headers.get('etag')!;
  const init = await a.signed(
    'POST',
    `/assets/${job.asset_uuid}/derived/upload/init`,
    { kind: 'preview_photo', content_type: 'image/jpeg', size_bytes: 6 },
    { headers: { 'if-match': etag, 'idempotency-key': 'init-1' } },
  );
  assert.equal(init.status, 200);
  assert.equal(
    (await a.uploadPart(job.asset_uuid, init.body.upload_id, 1, Buffer.from('abc'))).status,
    200,
  );
  await core.server.close();

  const { startCoreServer } = await import('../src/index.js');
  const restarted = await startCoreServer({
    storageRoot: core.root,
    storageId: 'nas-test',
    dataDir: core.dataDir,
    port: 0,
    scanIntervalMs: 0,
    logger: (await import('pino')).default({ level: 'silent' }),
  });
  try {
    (a as any).server = restarted;
    assert.equal(
      (await a.heartbeat(job.job_id, c.body)).status,
      200,
      'token, agent and lease survive',
    );
    assert.equal(
      (await a.uploadPart(job.asset_uuid, init.body.upload_id, 2, Buffer.from('def'))).status,
      200,
    );
    const done = await a.signed(
      'POST',
      `/assets/${job.asset_uuid}/derived/upload/complete`,
      { upload_id: init.body.upload_id },
      { headers: { 'idempotency-key': 'c-1' } },
    );
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const replayInit = await a.signed(
      'POST',
      `/assets/${job.asset_uuid}/derived/upload/init`,
      { kind: 'preview_photo', content_type: 'image/jpeg', size_bytes: 6 },
      { headers: { 'if-match': etag, 'idempotency-key': 'init-1' } },
    );
    assert.equal(replayInit.body.upload_id, init.body.upload_id, 'idempotency keys are persisted');
    const sub = await a.submit(job.job_id, {
      lock_token: c.body.lock_token,
      fencing_token: c.body.fencing_token,
      job_type: 'generate_preview',
      result: {
        derived_patch: { derived_manifest: [{ kind: 'preview_photo', ref: init.body.upload_id }] },
      },
    });
    assert.equal(sub.status, 200, JSON.stringify(sub.body));
    const bytes = await a.get(`/assets/${job.asset_uuid}/derived/preview_photo`);
    assert.equal(bytes.body, 'abcdef');
  } finally {
    await restarted.close();
    await core.dispose();
  }
});
