/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked, not typed */
// Derived uploads under attack, over real HTTP with real signatures: parts past the declared
// size, unbounded staging, bytes stored before the signature is known, part numbers that only
// look like numbers, and one agent touching (or publishing) another agent's upload.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { API_PREFIX } from '@retaia/protocol';
import {
  TestAgent,
  http,
  multipartPartBody,
  startTestCore,
  type TestCore,
} from './support/signed-test-client.js';

const MiB = 1024 * 1024;
let core: TestCore;
let alice: TestAgent;
let bob: TestAgent;
let uuid: string;
let staging: string;

before(async () => {
  core = await startTestCore({
    maxPartSizeBytes: 2 * MiB,
    maxOpenUploadsPerAgent: 6,
    maxStagedBytesPerAgent: 8 * MiB,
  });
  staging = path.join(core.root, '.derived', '.uploads');
  await writeFile(path.join(core.root, 'INBOX', 'clip.mp4'), randomBytes(4000));
  await core.server.scanNow();
  await core.server.scanNow();
  uuid = (await core.server.operator.listAssets()).find((a) => a.name === 'clip.mp4')!.uuid;
  alice = await TestAgent.enrol(core.server);
  bob = await TestAgent.enrol(core.server);
  // Both hold a lease on a job of the asset (uploads need one).
  const jobs = (await alice.get('/jobs')).body.filter((j: any) => j.asset_uuid === uuid);
  const claim = async (agent: TestAgent, type: string) => {
    const job = jobs.find((j: any) => j.job_type === type);
    const c = await agent.claim(job.job_id);
    assert.equal(c.status, 200, JSON.stringify(c.body));
    return c.body;
  };
  await claim(alice, 'extract_facts');
  bobThumbs = await claim(bob, 'generate_thumbnails');
});
after(() => core.dispose());
let bobThumbs: any;

async function init(agent: TestAgent, size: number, kind = 'thumb', type = 'image/webp') {
  const etag = (await agent.get(`/assets/${uuid}`)).headers.get('etag')!;
  return agent.signed(
    'POST',
    `/assets/${uuid}/derived/upload/init`,
    { kind, content_type: type, size_bytes: size },
    { headers: { 'if-match': etag, 'idempotency-key': randomUUID() } },
  );
}

const complete = (agent: TestAgent, uploadId: string) =>
  agent.signed(
    'POST',
    `/assets/${uuid}/derived/upload/complete`,
    { upload_id: uploadId },
    { headers: { 'idempotency-key': randomUUID() } },
  );

async function stagedFiles(): Promise<{ name: string; size: number }[]> {
  const out: { name: string; size: number }[] = [];
  for (const entry of await readdir(staging, { recursive: true }).catch(() => [] as string[])) {
    const st = await stat(path.join(staging, entry)).catch(() => undefined);
    if (st?.isFile()) out.push({ name: entry, size: st.size });
  }
  return out;
}

test('no part takes an upload past its declared size_bytes', async () => {
  const up = await init(alice, 10);
  assert.equal(up.status, 200, JSON.stringify(up.body));
  const id = up.body.upload_id;
  const big = await alice.uploadPart(uuid, id, 1, randomBytes(2 * MiB));
  assert.equal(big.status, 413, JSON.stringify(big.body));
  for (const n of [2, 3])
    assert.equal((await alice.uploadPart(uuid, id, n, randomBytes(11))).status, 413);
  assert.equal((await alice.uploadPart(uuid, id, 1, Buffer.from('0123456'))).status, 200);
  const over = await alice.uploadPart(uuid, id, 2, Buffer.from('7890X'));
  assert.equal(over.status, 413, 'the declared 10 bytes leave room for 3 more, not 5');
  assert.equal((await alice.uploadPart(uuid, id, 2, Buffer.from('789'))).status, 200);
  assert.equal((await alice.uploadPart(uuid, id, 3, Buffer.from('!'))).status, 413);
  const done = await complete(alice, id);
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body.size_bytes, 10);
  const staged = (await stagedFiles()).filter((f) => f.name.startsWith(id));
  assert.deepEqual(
    staged.map((f) => f.size),
    [10],
    'only the assembled 10 bytes stay staged',
  );
  assert.deepEqual(
    (await stagedFiles()).filter((f) => f.name.includes('.incoming-')),
    [],
  );
});

test('part_number is a plain integer from 1 to 10000', async () => {
  const up = await init(alice, 5);
  for (const bad of ['1e0', '01', ' 1', '1.0', '0', '10001', '-1', '']) {
    const r = await alice.uploadPart(uuid, up.body.upload_id, bad, Buffer.from('x'));
    assert.equal(r.status, 422, `part_number ${JSON.stringify(bad)}: ${JSON.stringify(r.body)}`);
  }
  assert.equal(
    (await alice.uploadPart(uuid, up.body.upload_id, '1', Buffer.from('x'))).status,
    200,
  );
});

test('another agent can neither add parts to, complete nor publish my upload', async () => {
  const up = await init(alice, 4);
  const id = up.body.upload_id;
  const bobPart = await bob.uploadPart(uuid, id, 1, Buffer.from('evil'));
  assert.equal(bobPart.status, 404, JSON.stringify(bobPart.body));
  assert.equal((await alice.uploadPart(uuid, id, 1, Buffer.from('good'))).status, 200);
  assert.equal((await complete(bob, id)).status, 404);
  assert.equal((await complete(alice, id)).status, 200);
  // Bob holds the thumbnails job and submits Alice's completed upload as his result.
  const sub = await bob.submit(bobThumbs.job_id, {
    lock_token: bobThumbs.lock_token,
    fencing_token: bobThumbs.fencing_token,
    job_type: 'generate_thumbnails',
    result: { derived_patch: { derived_manifest: [{ kind: 'thumb', ref: id }] } },
  });
  assert.equal(sub.status, 404, JSON.stringify(sub.body));
  assert.deepEqual((await bob.get(`/assets/${uuid}/derived`)).body.thumbs, []);

  // His own upload publishes, and the bytes are served with nosniff (never guessed as HTML).
  const own = await bob.upload(uuid, 'thumb', 'image/webp', Buffer.from('<html>not webp</html>'));
  const ok = await bob.submit(bobThumbs.job_id, {
    lock_token: bobThumbs.lock_token,
    fencing_token: bobThumbs.fencing_token,
    job_type: 'generate_thumbnails',
    result: { derived_patch: { derived_manifest: [{ kind: 'thumb', ref: own }] } },
  });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const [thumbUrl] = (await bob.get(`/assets/${uuid}/derived`)).body.thumbs;
  const served = await fetch(`${core.server.url}${thumbUrl}`, {
    headers: { authorization: `Bearer ${bob.token}` },
  });
  assert.equal(served.status, 200);
  assert.equal(served.headers.get('content-type'), 'image/webp');
  assert.equal(served.headers.get('x-content-type-options'), 'nosniff');
});

/** Sends a signed part in two pieces, letting the test look at the disk in between. */
async function slowPart(
  agent: TestAgent,
  uploadId: string,
  chunk: Buffer,
  between: () => Promise<void>,
) {
  const { body, contentType } = multipartPartBody(uploadId, 1, chunk);
  const p = `/assets/${uuid}/derived/upload/part`;
  const sig = await agent.signer.headersFor('POST', `${API_PREFIX}${p}`, body);
  return new Promise<number>((resolve, reject) => {
    const req = request(`${core.server.apiUrl}${p}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${agent.token}`,
        ...sig,
        'content-type': contentType,
        'content-length': String(body.length),
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.write(body.subarray(0, body.length - 1000));
    void between().then(() => req.end(body.subarray(body.length - 1000)), reject);
  });
}

test('bytes for an upload that is not the caller’s never reach the disk; a bad signature leaves nothing', async () => {
  const up = await init(alice, MiB);
  const id = up.body.upload_id;
  let seen: { name: string; size: number }[] = [];
  const status = await slowPart(bob, id, randomBytes(512 * 1024), async () => {
    // Give the server time to stream what it received so far.
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 100));
      seen = seen.concat(
        (await stagedFiles()).filter((f) => f.size > 0 && f.name.includes('.incoming-')),
      );
    }
  });
  assert.equal(status, 404);
  assert.deepEqual(seen, [], 'part bytes were stored before the request was checked');

  // Alice's own upload, but the body no longer matches the signature: refused, nothing kept.
  const { body, contentType } = multipartPartBody(id, 1, randomBytes(1000));
  const p = `/assets/${uuid}/derived/upload/part`;
  const sig = await alice.signer.headersFor('POST', `${API_PREFIX}${p}`, body);
  body.writeUInt8(body.readUInt8(body.length - 100) ^ 0xff, body.length - 100);
  const forged = await http(`${core.server.apiUrl}${p}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${alice.token}`, ...sig, 'content-type': contentType },
    body,
  });
  assert.equal(forged.status, 401);
  const left = (await stagedFiles()).filter(
    (f) => f.name.includes('.incoming-') || f.name.startsWith(`${id}/part`),
  );
  assert.deepEqual(left, []);
});

test('open uploads and staged bytes are capped per agent', async () => {
  const fresh = await TestAgent.enrol(core.server);
  const jobs = (await fresh.get('/jobs')).body.filter((j: any) => j.asset_uuid === uuid);
  const c = await fresh.claim(jobs.find((j: any) => j.job_type === 'generate_preview').job_id);
  assert.equal(c.status, 200, JSON.stringify(c.body));
  const big = await init(fresh, 9 * MiB, 'preview_video', 'video/mp4');
  assert.equal(big.status, 429, 'one upload declaring more than the staging budget');
  assert.equal(big.body.code, 'TOO_MANY_ATTEMPTS');
  const accepted = [];
  for (let i = 0; i < 5; i++) accepted.push((await init(fresh, MiB)).status);
  assert.deepEqual(accepted, [200, 200, 200, 200, 200]);
  // A completed upload that is never submitted still occupies staging: it counts too.
  const small = await init(fresh, 3);
  assert.equal(
    (await fresh.uploadPart(uuid, small.body.upload_id, 1, Buffer.from('abc'))).status,
    200,
  );
  assert.equal((await complete(fresh, small.body.upload_id)).status, 200);
  const seventh = await init(fresh, 1);
  assert.equal(seventh.status, 429, JSON.stringify(seventh.body));
  assert.match(seventh.body.message, /6 unpublished uploads/);
  // Others are not affected by this agent's quota.
  assert.equal((await init(alice, 1)).status, 200);
});
