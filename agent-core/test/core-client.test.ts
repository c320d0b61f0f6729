import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { randomBytes, createHash } from 'node:crypto';
import { join } from 'node:path';
import { generateAgentKey, RequestSigner, SIGNATURE_HEADERS } from '@retaia/protocol';
import { CoreClient } from '../src/core-api/core-client.js';
import { Backoff, parseRetryAfter } from '../src/core-api/backoff.js';
import {
  LeaseLostError,
  AuthRequiredError,
  CoreUnreachableError,
  CoreApiError,
} from '../src/core-api/core-api-errors.js';
import { uploadDerivedFile } from '../src/core-api/derived-uploader.js';
import { runDeviceEnrolment } from '../src/core-api/device-enrolment.js';
import { FakeCore } from './support/fake-core.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

const AGENT_ID = '3b241101-e2bb-4255-8caf-4136c566a962';
const fastBackoff = { baseMs: 5, capMs: 40 };

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const core = await new FakeCore().start();
  t.after(() => core.close());
  const key = await generateAgentKey('t');
  const creds = core.addClient();
  const client = new CoreClient({
    baseUrl: core.url,
    signer: await RequestSigner.fromArmored(AGENT_ID, key.privateKeyArmored),
    credentials: async () => creds,
    backoff: fastBackoff,
  });
  await client.register({
    agent_id: AGENT_ID,
    agent_name: 'a',
    agent_version: '0',
    openpgp_public_key: key.publicKeyArmored,
    openpgp_fingerprint: key.fingerprint,
    os_name: 'linux',
    os_version: '1',
    arch: 'x86_64',
    capabilities: ['media.facts@1'],
  });
  return { core, client, key };
}

test('backoff: full jitter, ×2 up to the cap, Retry-After raises the base, reset after success', () => {
  const b = new Backoff({ baseMs: 2000, capMs: 60_000, random: () => 0.999999 });
  const seq = Array.from({ length: 7 }, () => b.nextDelayMs());
  assert.deepEqual(
    seq.map((d) => Math.round(d / 1000)),
    [2, 4, 8, 16, 32, 60, 60],
  );
  b.reset();
  assert.equal(Math.round(b.nextDelayMs() / 1000), 2);
  const low = new Backoff({ baseMs: 2000, capMs: 60_000, random: () => 0 });
  assert.equal(low.nextDelayMs(), 0, 'full jitter may pick 0');
  assert.equal(low.nextDelayMs(7000), 7000, 'Retry-After is a floor');
  const raised = new Backoff({ baseMs: 2000, capMs: 60_000, random: () => 0.999999 });
  raised.nextDelayMs(10_000);
  assert.equal(Math.round(raised.nextDelayMs() / 1000), 20, 'base raised to 10 s, ×2');
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())! > 3000, true);
});

test('every attempt of a write gets a fresh nonce + signature, the Idempotency-Key stays', async (t) => {
  const { core, client } = await setup(t);
  const job = core.addJob({
    job_type: 'extract_facts',
    source: { storage_id: 's', original_relative: 'INBOX/a' },
  });
  const claimed = await client.claimJob(job.job_id);
  assert.ok(claimed);
  core.fail429.set('/submit', { count: 2 });
  core.dropConnection.set('/submit', 1);
  await client.submitJob(
    job.job_id,
    {
      lock_token: claimed.lock_token,
      fencing_token: claimed.fencing_token,
      job_type: 'extract_facts',
      result: { facts_patch: { duration_ms: 1 } },
    },
    'idem-1',
  );
  const submits = core.requests.filter((r) => r.path.endsWith('/submit'));
  assert.equal(submits.length, 4, '2×429 + 1 dropped + success');
  const nonces = new Set(submits.map((r) => r.headers[SIGNATURE_HEADERS.nonce]));
  assert.equal(nonces.size, 4, 'fresh nonce per attempt');
  assert.deepEqual(new Set(submits.map((r) => r.headers['idempotency-key'])), new Set(['idem-1']));
  assert.equal(core.signatureFailures, 0, 'every signature verified');
  assert.ok(core.jobs.get(job.job_id)!.submitted);
});

test('Retry-After is honoured; giving up after maxAttempts is a retryable typed error', async (t) => {
  const { core, client } = await setup(t);
  core.fail429.set('/jobs', { count: 1, retryAfter: '1' });
  const start = Date.now();
  await client.listJobs();
  assert.ok(Date.now() - start >= 950, 'waited for Retry-After');
  core.dropConnection.set('/app/policy', 10);
  await assert.rejects(
    client.getPolicy(),
    (e: CoreUnreachableError) => e instanceof CoreUnreachableError && e.retryable,
  );
  core.fail429.set('/app/policy', { count: 10 });
  core.dropConnection.clear();
  await assert.rejects(client.getPolicy(), (e: CoreApiError) => e.status === 429 && e.retryable);
});

test('one token per process, shared by concurrent calls; re-minted only after a 401', async (t) => {
  const { core, client } = await setup(t);
  await Promise.all([client.listJobs(), client.getPolicy(), client.listJobs()]);
  assert.equal(client.tokensMinted, 1);
  core.tokens.clear(); // revoked by an operator
  await client.listJobs();
  assert.equal(client.tokensMinted, 2);
  core.secrets.clear(); // secret rotated: re-enrolment needed
  core.tokens.clear();
  await assert.rejects(client.listJobs(), AuthRequiredError);
});

test('lease errors are LeaseLostError; a lost claim race is undefined', async (t) => {
  const { core, client } = await setup(t);
  const job = core.addJob({
    job_type: 'extract_facts',
    source: { storage_id: 's', original_relative: 'INBOX/a' },
  });
  const claimed = (await client.claimJob(job.job_id))!;
  assert.equal(await client.claimJob(job.job_id), undefined);
  core.stealLease(job.job_id);
  await assert.rejects(
    client.heartbeat(job.job_id, {
      lock_token: claimed.lock_token,
      fencing_token: claimed.fencing_token,
    }),
    (e: LeaseLostError) => e instanceof LeaseLostError && e.code === 'STALE_LOCK_TOKEN',
  );
  await assert.rejects(
    client.heartbeat(job.job_id, { lock_token: '', fencing_token: 1 }),
    (e: LeaseLostError) => e instanceof LeaseLostError && e.status === 423,
  );
});

test('derived upload: parts streamed as multipart, retried, 412 re-reads the ETag, bytes intact', async (t) => {
  const { core, client } = await setup(t);
  const dir = makeTempDir('up-');
  const file = join(dir, 'preview.mp4');
  const data = randomBytes(core.maxPartSize * 3 + 1234);
  await writeFile(file, data);
  core.dropConnection.set('/upload/part', 1);
  core.fail429.set('/upload/part', { count: 1 });
  let flips = 0;
  const origEtag = core.assetEtag;
  core.assetEtag = '"rev-2"';
  // the agent read rev-2; change it under its feet once so init gets a 412
  const getAsset = client.getAsset.bind(client);
  client.getAsset = async (uuid, signal) => {
    const r = await getAsset(uuid, signal);
    if (flips++ === 0) core.assetEtag = origEtag;
    return r;
  };
  const entry = await uploadDerivedFile(client, {
    assetUuid: 'a1',
    kind: 'preview_video',
    contentType: 'video/mp4',
    path: file,
  });
  assert.equal(entry.kind, 'preview_video');
  assert.equal(entry.size_bytes, data.length);
  assert.equal(entry.sha256, createHash('sha256').update(data).digest('hex'));
  assert.ok(core.uploads.get(entry.ref)?.completed);
  assert.equal(core.uploads.get(entry.ref)!.parts.size, 4);
  assert.ok(core.uploadedBytes(entry.ref).equals(data));
  assert.ok(flips >= 2, 'ETag re-read after 412');
  assert.equal(core.signatureFailures, 0);
});

test('device flow: polls at the interval, backs off on SLOW_DOWN, returns the credentials; cancel works', async (t) => {
  const core = await new FakeCore().start();
  t.after(() => core.close());
  core.deviceInterval = 0;
  const client = new CoreClient({ baseUrl: core.url, backoff: fastBackoff });
  let shown = '';
  setTimeout(() => (core.deviceApproved = true), 300);
  const out = await runDeviceEnrolment(client, {
    clientLabel: 'x',
    minIntervalMs: 50,
    onStarted: (s) => void (shown = s.user_code),
  });
  assert.equal(shown, 'ABCD-EFGH');
  assert.deepEqual(out, {
    status: 'APPROVED',
    clientId: 'client-enrolled',
    secretKey: 'sk-enrolled-secret',
  });

  core.deviceApproved = false;
  core.fail429.set('/device/poll', { count: 1 });
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 300);
  const canceled = await runDeviceEnrolment(client, {
    clientLabel: 'x',
    minIntervalMs: 50,
    signal: ac.signal,
  });
  assert.equal(canceled.status, 'CANCELED');
  assert.ok(core.requests.some((r) => r.path.endsWith('/device/cancel')));

  // A Core that never answers the cancel: the user's cancel still ends, within the cancel's own
  // bound (5 s) rather than two 30 s request timeouts.
  core.neverAnswer.add('/device/cancel');
  const wedged = new AbortController();
  setTimeout(() => wedged.abort(), 100);
  const before = Date.now();
  const ended = await runDeviceEnrolment(client, {
    clientLabel: 'x',
    minIntervalMs: 50,
    signal: wedged.signal,
  });
  assert.equal(ended.status, 'CANCELED');
  const tookMs = Date.now() - before;
  assert.ok(tookMs < 20_000, `cancel against a wedged Core ended after ${tookMs} ms`);
});
