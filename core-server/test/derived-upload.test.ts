/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked against the contract, not typed */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, readdir, writeFile } from 'node:fs/promises';
import { collectExpiredUploads } from '../src/uploads/upload-gc.js';
import { derivedRelativePath } from '../src/uploads/upload-paths.js';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadContractValidator } from '@retaia/protocol/contract-validator';
import { TestAgent, http, startTestCore, type TestCore } from './support/signed-test-client.js';

const contract = loadContractValidator();
let core: TestCore;
let agent: TestAgent;

before(async () => {
  core = await startTestCore({ maxPartSizeBytes: 4096 });
  agent = await TestAgent.enrol(core.server);
});
after(() => core.dispose());

async function jobsFor(uuid: string) {
  const r = await agent.get('/jobs');
  return (r.body as any[]).filter((j) => j.asset_uuid === uuid);
}

async function claimType(uuid: string, type: string) {
  const job = (await jobsFor(uuid)).find((j) => j.job_type === type);
  assert.ok(job, `no pending ${type}`);
  const c = await agent.claim(job.job_id);
  assert.equal(c.status, 200, JSON.stringify(c.body));
  return c.body;
}

const lease = (c: any) => ({ lock_token: c.lock_token, fencing_token: c.fencing_token });

test('video: facts with audio plan the waveform job; previews, thumbs and waveform publish and serve; asset reaches DECISION_PENDING', async () => {
  await writeFile(path.join(core.root, 'INBOX', 'clip.mp4'), randomBytes(2000));
  await writeFile(path.join(core.root, 'INBOX', 'clip.srt'), '1\n');
  await writeFile(path.join(core.root, 'INBOX', 'clip.lrv'), 'proxy');
  await core.server.scanNow();
  await core.server.scanNow();
  const uuid = (await core.server.operator.listAssets()).find((a) => a.name === 'clip.mp4')!.uuid;
  const types = (await jobsFor(uuid)).map((j) => j.job_type).sort();
  assert.deepEqual(types, ['extract_facts', 'generate_preview', 'generate_thumbnails']);
  assert.deepEqual((await jobsFor(uuid))[0].source.sidecars_relative, ['INBOX/clip.srt']);

  const facts = await claimType(uuid, 'extract_facts');
  const sub = await agent.submit(facts.job_id, {
    ...lease(facts),
    job_type: 'extract_facts',
    result: {
      facts_patch: {
        duration_ms: 10000,
        media_format: 'mp4',
        video_codec: 'h264',
        audio_codec: 'aac',
        width: 1920,
        height: 1080,
        fps: 25,
      },
    },
  });
  assert.equal(sub.status, 200, JSON.stringify(sub.body));
  assert.ok((await jobsFor(uuid)).some((j) => j.job_type === 'generate_audio_waveform'));

  // Preview: 3 parts, served with ranges.
  const preview = await claimType(uuid, 'generate_preview');
  const video = randomBytes(10_000);
  const up = await agent.upload(uuid, 'preview_video', 'video/mp4', video, 4096);
  // Not visible before the submit references it.
  assert.equal((await agent.get(`/assets/${uuid}/derived`)).body.preview_video_url, null);
  const ps = await agent.submit(preview.job_id, {
    ...lease(preview),
    job_type: 'generate_preview',
    result: { derived_patch: { derived_manifest: [{ kind: 'preview_video', ref: up }] } },
  });
  assert.equal(ps.status, 200, JSON.stringify(ps.body));
  const derived = await agent.get(`/assets/${uuid}/derived`);
  assert.deepEqual(contract.responseErrors('GET', '/assets/{uuid}/derived', 200, derived.body), []);
  const full = await fetch(`${core.server.url}${derived.body.preview_video_url}`, {
    headers: { authorization: `Bearer ${agent.token}` },
  });
  assert.equal(full.status, 200);
  assert.equal(full.headers.get('accept-ranges'), 'bytes');
  assert.deepEqual(Buffer.from(await full.arrayBuffer()), video);
  const part = await fetch(`${core.server.url}${derived.body.preview_video_url}`, {
    headers: { authorization: `Bearer ${agent.token}`, range: 'bytes=100-199' },
  });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), 'bytes 100-199/10000');
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), video.subarray(100, 200));
  const bad = await fetch(`${core.server.url}${derived.body.preview_video_url}`, {
    headers: { authorization: `Bearer ${agent.token}`, range: 'bytes=20000-' },
  });
  assert.equal(bad.status, 416);

  // Thumbs: a second submit would replace the set; addressable with ?index=N.
  const thumbs = await claimType(uuid, 'generate_thumbnails');
  const imgs = [randomBytes(300), randomBytes(301), randomBytes(302)];
  const refs = [];
  for (const img of imgs) refs.push(await agent.upload(uuid, 'thumb', 'image/webp', img));
  const ts = await agent.submit(thumbs.job_id, {
    ...lease(thumbs),
    job_type: 'generate_thumbnails',
    result: { derived_patch: { derived_manifest: refs.map((ref) => ({ kind: 'thumb', ref })) } },
  });
  assert.equal(ts.status, 200, JSON.stringify(ts.body));
  const thumbUrls = (await agent.get(`/assets/${uuid}/derived`)).body.thumbs;
  assert.equal(thumbUrls.length, 3);
  const second = await fetch(`${core.server.url}${thumbUrls[1]}`, {
    headers: { authorization: `Bearer ${agent.token}` },
  });
  assert.equal(second.headers.get('content-type'), 'image/webp');
  assert.deepEqual(Buffer.from(await second.arrayBuffer()), imgs[1]);

  const wf = await claimType(uuid, 'generate_audio_waveform');
  const wfRef = await agent.upload(
    uuid,
    'waveform',
    'application/json',
    Buffer.from(
      JSON.stringify({ duration_ms: 10000, bucket_count: 100, samples: Array(100).fill(0.5) }),
    ),
  );
  const ws = await agent.submit(wf.job_id, {
    ...lease(wf),
    job_type: 'generate_audio_waveform',
    result: { derived_patch: { derived_manifest: [{ kind: 'waveform', ref: wfRef }] } },
  });
  assert.equal(ws.status, 200);
  assert.equal(ws.body.asset_state, 'DECISION_PENDING');
  const detail = await agent.get(`/assets/${uuid}`);
  assert.deepEqual(contract.responseErrors('GET', '/assets/{uuid}', 200, detail.body), []);
  assert.equal(detail.body.summary.state, 'DECISION_PENDING');
  const wfBody = await agent.get(`/assets/${uuid}/derived/waveform`);
  assert.equal(wfBody.body.bucket_count, 100);
  // Staging is empty once everything is published.
  assert.deepEqual(await readdir(path.join(core.root, '.derived', '.uploads')), []);
});

test('upload init needs If-Match (428/412), a valid content type and a lease; parts are bounded and single-file', async () => {
  await writeFile(path.join(core.root, 'INBOX', 'p.jpg'), randomBytes(50));
  await core.server.scanNow();
  await core.server.scanNow();
  const uuid = (await core.server.operator.listAssets()).find((a) => a.name === 'p.jpg')!.uuid;
  const p = `/assets/${uuid}/derived/upload/init`;
  const body = { kind: 'preview_photo', content_type: 'image/webp', size_bytes: 10 };
  const noLease = await agent.signed('POST', p, body, {
    headers: {
      'idempotency-key': randomUUID(),
      'if-match': (await agent.get(`/assets/${uuid}`)).headers.get('etag')!,
    },
  });
  assert.equal(noLease.status, 423);
  await claimType(uuid, 'generate_preview');
  const etag = (await agent.get(`/assets/${uuid}`)).headers.get('etag')!;
  const missing = await agent.signed('POST', p, body, {
    headers: { 'idempotency-key': randomUUID() },
  });
  assert.equal(missing.status, 428);
  assert.equal(missing.body.code, 'PRECONDITION_REQUIRED');
  const stale = await agent.signed('POST', p, body, {
    headers: { 'idempotency-key': randomUUID(), 'if-match': '"stale"' },
  });
  assert.equal(stale.status, 412);
  assert.equal(stale.body.code, 'PRECONDITION_FAILED');
  assert.deepEqual(contract.schemaErrors('ErrorResponse', stale.body), []);
  const wrongType = await agent.signed(
    'POST',
    p,
    { ...body, content_type: 'video/mp4' },
    { headers: { 'idempotency-key': randomUUID(), 'if-match': etag } },
  );
  assert.equal(wrongType.status, 422);
  const ok = await agent.signed('POST', p, body, {
    headers: { 'idempotency-key': randomUUID(), 'if-match': etag },
  });
  assert.equal(ok.status, 200);
  const id = ok.body.upload_id;
  assert.equal((await agent.uploadPart(uuid, id, 1, randomBytes(5000))).status, 413);
  assert.equal(
    (await agent.uploadPart(uuid, id, 1, randomBytes(10), { extraFile: true })).status,
    422,
  );
  assert.equal(
    (await agent.uploadPart(uuid, id, 1, randomBytes(10), { fieldName: 'other' })).status,
    422,
  );
  assert.equal((await agent.uploadPart(uuid, '../../etc', 1, randomBytes(10))).status, 422);
  assert.equal((await agent.uploadPart(uuid, id, '0', randomBytes(10))).status, 422);
  // Bad total size at complete.
  assert.equal((await agent.uploadPart(uuid, id, 1, randomBytes(9))).status, 200);
  const done = await agent.signed(
    'POST',
    `/assets/${uuid}/derived/upload/complete`,
    { upload_id: id },
    { headers: { 'idempotency-key': randomUUID() } },
  );
  assert.equal(done.status, 422);
  assert.match(done.body.message, /size 9 differs/);
});

test('derived reads reject unknown kinds, non-uuid asset ids and traversal', async () => {
  for (const p of [
    '/assets/..%2F..%2Fetc/derived/thumb',
    '/assets/not-a-uuid',
    `/assets/${randomUUID()}/derived/..%2Fsecret`,
    `/assets/${randomUUID()}/derived/thumb%00`,
  ]) {
    const r = await agent.get(p);
    assert.ok([404, 422].includes(r.status), `${p} → ${r.status}`);
    assert.deepEqual(contract.schemaErrors('ErrorResponse', r.body), [], p);
  }
  const anon = await http(`${core.server.apiUrl}/assets`);
  assert.equal(anon.status, 401);
  assert.deepEqual(contract.responseErrors('GET', '/assets', 401, anon.body), []);
});

test('a derived file is in place when its submit commits; a failed commit keeps the upload for the retry and publishes nothing', async () => {
  await writeFile(path.join(core.root, 'INBOX', 'race.jpg'), randomBytes(500));
  await core.server.scanNow();
  await core.server.scanNow();
  const uuid = (await core.server.operator.listAssets()).find((a) => a.name === 'race.jpg')!.uuid;
  const preview = await claimType(uuid, 'generate_preview');
  const bytes = randomBytes(3000);
  const ref = await agent.upload(uuid, 'preview_photo', 'image/webp', bytes);

  // The moment completeJob returns, the asset and its file record are visible to every reader:
  // the file must already be there. The first commit fails (injected), as a full disk would.
  const store = core.server.context.store;
  const completeJob = store.completeJob.bind(store);
  let fail = true;
  const atCommit: { path: string; present: boolean }[] = [];
  store.completeJob = async (input) => {
    if (fail) {
      fail = false;
      throw new Error('database hiccup (injected by the test)');
    }
    const result = await completeJob(input);
    for (const d of input.derived ?? [])
      atCommit.push({
        path: d.relative_path,
        present: existsSync(path.join(core.root, d.relative_path)),
      });
    return result;
  };
  try {
    const body = {
      ...lease(preview),
      job_type: 'generate_preview',
      result: { derived_patch: { derived_manifest: [{ kind: 'preview_photo', ref }] } },
    };
    const failed = await agent.submit(preview.job_id, body);
    assert.equal(failed.status, 500, JSON.stringify(failed.body));
    assert.deepEqual(
      await readdir(path.join(core.root, '.derived', uuid)).catch(() => []),
      [],
      'nothing published by the failed commit',
    );
    assert.ok(
      existsSync(path.join(core.root, '.derived', '.uploads', ref, 'assembled')),
      'the staged upload is kept for the retry',
    );

    const ok = await agent.submit(preview.job_id, body);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(atCommit.length, 1);
    assert.ok(atCommit[0]!.present, `${atCommit[0]!.path} in place when the commit landed`);
  } finally {
    store.completeJob = completeJob;
  }
  const url = (await agent.get(`/assets/${uuid}/derived`)).body.preview_photo_url;
  const served = await fetch(`${core.server.url}${url}`, {
    headers: { authorization: `Bearer ${agent.token}` },
  });
  assert.deepEqual(Buffer.from(await served.arrayBuffer()), bytes);
  assert.ok(!existsSync(path.join(core.root, '.derived', '.uploads', ref)), 'staging removed');
});

test('an upload linked into place by a submit that crashed before its commit is removed when the upload expires', async () => {
  await writeFile(path.join(core.root, 'INBOX', 'crash.jpg'), randomBytes(500));
  await core.server.scanNow();
  await core.server.scanNow();
  const uuid = (await core.server.operator.listAssets()).find((a) => a.name === 'crash.jpg')!.uuid;
  await claimType(uuid, 'generate_preview');
  const ref = await agent.upload(uuid, 'preview_photo', 'image/webp', randomBytes(700));
  // What the submit did before the process died: the link, and no commit.
  const placed = path.join(
    core.root,
    derivedRelativePath(uuid, 'preview_photo', ref, 'image/webp'),
  );
  await mkdir(path.dirname(placed), { recursive: true });
  await link(path.join(core.root, '.derived', '.uploads', ref, 'assembled'), placed);

  const later = Date.now() + 365 * 86_400_000; // past any upload's expiry
  assert.ok((await collectExpiredUploads({ ...core.server.context, clock: () => later })) >= 1);
  assert.ok(!existsSync(placed), 'the unreferenced link is gone');
  assert.ok(!existsSync(path.join(core.root, '.derived', '.uploads', ref)), 'staging gone');
});
