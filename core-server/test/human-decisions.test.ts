/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked against the contract, not typed */
// Human endpoints through real HTTP on a real storage root: the full human transition table,
// If-Match (428/412), actor rules, profile choice, moves with collisions and sidecars, purge
// idempotence, move/purge locks, and the outcome of a job that fails for good.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ASSET_STATES, type AssetState } from '@retaia/protocol';
import { loadContractValidator } from '@retaia/protocol/contract-validator';
import { openDatabase } from '../src/store/sqlite/open-database.js';
import type { SqliteCoreStore } from '../src/store/sqlite/sqlite-core-store.js';
import { TestAgent, http, startTestCore, type TestCore } from './support/signed-test-client.js';

const contract = loadContractValidator();
let core: TestCore;
let agent: TestAgent;
let userToken: string;

const db = () => (core.server.context.store as SqliteCoreStore).db;
const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

async function login(): Promise<string> {
  const res = await http(`${core.server.apiUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: 'op@example.test',
      password: 'pw-123456',
      client_kind: 'UI_WEB',
    }),
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.access_token;
}

before(async () => {
  core = await startTestCore({ buildReviewUi: false });
  await core.server.operator.addUser('op@example.test', 'pw-123456');
  userToken = await login();
  agent = await TestAgent.enrol(core.server);
});
after(() => core.dispose());

function user(
  method: string,
  p: string,
  opts: { body?: unknown; etag?: string; key?: string; token?: string } = {},
) {
  const headers: Record<string, string> = {
    authorization: `Bearer ${opts.token ?? userToken}`,
  };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.etag) headers['if-match'] = opts.etag;
  if (opts.key) headers['idempotency-key'] = opts.key;
  return http(`${core.server.apiUrl}${p}`, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
}

async function etagOf(uuid: string): Promise<string> {
  const res = await user('GET', `/assets/${uuid}`);
  assert.equal(res.status, 200);
  return res.headers.get('etag')!;
}

/** Writes files into INBOX and scans twice (stability window 0) so they become READY. */
async function discover(...names: string[]): Promise<Record<string, string>> {
  for (const name of names) {
    const abs = path.join(core.root, 'INBOX', name);
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, `content of ${name}`);
  }
  await core.server.scanNow();
  await core.server.scanNow();
  const out: Record<string, string> = {};
  for (const a of await core.server.operator.listAssets()) out[a.relative_path] = a.uuid;
  return out;
}

/** Test setup only: puts an asset in a state without going through the pipeline. */
function forceState(uuid: string, state: AssetState) {
  db()
    .prepare('UPDATE assets SET state = ?, revision = revision + 1 WHERE uuid = ?')
    .run(state, uuid);
}

// Expected human transitions, written from docs/asset-states.md (not derived from the code under test).
const PATCH_ALLOWED = new Set([
  'DECISION_PENDING>DECIDED_KEEP',
  'DECISION_PENDING>DECIDED_REJECT',
  'DECIDED_KEEP>DECIDED_REJECT',
  'DECIDED_REJECT>DECIDED_KEEP',
  'DECIDED_KEEP>DECISION_PENDING',
  'DECIDED_REJECT>DECISION_PENDING',
  'ARCHIVED>DECISION_PENDING',
  'REJECTED>DECISION_PENDING',
]);
const REOPEN_FROM = new Set(['ARCHIVED', 'REJECTED']);
const REPROCESS_FROM = new Set(['PROCESSED', 'ARCHIVED', 'REJECTED']);
const PATCH_TARGETS = [
  'DECISION_PENDING',
  'DECIDED_KEEP',
  'DECIDED_REJECT',
  'ARCHIVED',
  'REJECTED',
] as const;

test('full human transition table through HTTP: allowed → 200, forbidden → 409 STATE_CONFLICT, PURGED → 410', async () => {
  const uuid = (await discover('table/t.jpg'))['INBOX/table/t.jpg']!;
  let checked = 0;
  for (const from of ASSET_STATES) {
    for (const to of PATCH_TARGETS) {
      forceState(uuid, from);
      const res = await user('PATCH', `/assets/${uuid}`, {
        body: { state: to },
        etag: await etagOf(uuid),
      });
      const label = `PATCH ${from} → ${to}`;
      if (from === 'PURGED') assert.equal(res.status, 410, label);
      else if (PATCH_ALLOWED.has(`${from}>${to}`)) {
        assert.equal(res.status, 200, `${label}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.summary.state, to, label);
        assert.equal(res.headers.get('etag'), res.body.summary.revision_etag, label);
      } else {
        assert.equal(res.status, 409, `${label}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.code, 'STATE_CONFLICT', label);
        assert.deepEqual(contract.responseErrors('PATCH', '/assets/{uuid}', 409, res.body), []);
      }
      checked++;
    }
    forceState(uuid, from);
    const reopen = await user('POST', `/assets/${uuid}/reopen`, { etag: await etagOf(uuid) });
    if (from === 'PURGED') assert.equal(reopen.status, 410);
    else assert.equal(reopen.status, REOPEN_FROM.has(from) ? 200 : 409, `reopen from ${from}`);
    if (reopen.status === 200) assert.equal(reopen.body.summary.state, 'DECISION_PENDING');

    forceState(uuid, from);
    const re = await user('POST', `/assets/${uuid}/reprocess`, {
      etag: await etagOf(uuid),
      key: randomUUID(),
    });
    if (from === 'PURGED') assert.equal(re.status, 410);
    else assert.equal(re.status, REPROCESS_FROM.has(from) ? 200 : 409, `reprocess from ${from}`);
    if (re.status === 200) {
      assert.equal(re.body.summary.state, 'READY');
      assert.equal(re.body.processing.review_processing_version > '1', true);
    }
    checked += 2;
  }
  assert.equal(checked, ASSET_STATES.length * 7);
});

test('If-Match: missing → 428, stale → 412; Idempotency-Key replays reprocess; actor rules on every human endpoint', async () => {
  const uuid = (await discover('im/a.jpg'))['INBOX/im/a.jpg']!;
  forceState(uuid, 'DECISION_PENDING');
  const missing = await user('PATCH', `/assets/${uuid}`, { body: { state: 'DECIDED_KEEP' } });
  assert.equal(missing.status, 428);
  assert.equal(missing.body.code, 'PRECONDITION_REQUIRED');
  const stale = await etagOf(uuid);
  const ok = await user('PATCH', `/assets/${uuid}`, { body: { notes: 'n1' }, etag: stale });
  assert.equal(ok.status, 200);
  assert.notEqual(ok.headers.get('etag'), stale);
  const s412 = await user('PATCH', `/assets/${uuid}`, {
    body: { state: 'DECIDED_KEEP' },
    etag: stale,
  });
  assert.equal(s412.status, 412);
  assert.equal(s412.body.code, 'PRECONDITION_FAILED');
  // The contract's details: the current ETag (byte-for-byte reusable) and state.
  assert.equal(s412.body.details.current_revision_etag, ok.headers.get('etag'));
  assert.equal(s412.body.details.current_state, 'DECISION_PENDING');
  assert.deepEqual(contract.responseErrors('PATCH', '/assets/{uuid}', 412, s412.body), []);
  // Strong comparison: the current ETag as a weak validator does not match.
  const weak = await user('PATCH', `/assets/${uuid}`, {
    body: { state: 'DECIDED_KEEP' },
    etag: `W/${ok.headers.get('etag')}`,
  });
  assert.equal(weak.status, 412, JSON.stringify(weak.body));
  assert.equal(weak.body.details.current_revision_etag, ok.headers.get('etag'));
  for (const p of ['reopen', 'reprocess', 'purge']) {
    const r = await user('POST', `/assets/${uuid}/${p}`, {
      key: randomUUID(),
      ...(p === 'purge' ? { body: { confirm: true } } : {}),
    });
    assert.equal(r.status, 428, `${p} without If-Match`);
  }

  // Idempotent reprocess: same key → same answer even though the ETag changed since.
  forceState(uuid, 'PROCESSED');
  const etag = await etagOf(uuid);
  const key = randomUUID();
  const first = await user('POST', `/assets/${uuid}/reprocess`, { etag, key });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const again = await user('POST', `/assets/${uuid}/reprocess`, { etag, key });
  assert.equal(again.status, 200);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(again.body, first.body);

  // Technical bearer on human endpoints → 403 FORBIDDEN_ACTOR; no bearer → 401.
  const human: [string, string, unknown][] = [
    ['PATCH', `/assets/${uuid}`, { state: 'DECIDED_KEEP' }],
    ['POST', `/assets/${uuid}/reopen`, undefined],
    ['POST', `/assets/${uuid}/reprocess`, undefined],
    ['POST', `/assets/${uuid}/purge/preview`, undefined],
    ['POST', `/assets/${uuid}/purge`, { confirm: true }],
    ['POST', '/assets/purge', { asset_uuids: [uuid], confirm: true }],
    ['POST', '/ops/decisions/apply', { dry_run: true }],
    ['GET', '/auth/clients/device/pending', undefined],
  ];
  for (const [method, p, body] of human) {
    const asAgent = await user(method, p, {
      body,
      token: agent.token,
      etag: await etagOf(uuid),
      key: randomUUID(),
    });
    assert.equal(asAgent.status, 403, `${method} ${p} as agent: ${JSON.stringify(asAgent.body)}`);
    assert.equal(asAgent.body.code, 'FORBIDDEN_ACTOR');
    const anon = await http(`${core.server.apiUrl}${p}`, { method });
    assert.equal(anon.status, 401, `${method} ${p} anonymous`);
  }
  // And the other way round: a user bearer cannot list or claim jobs.
  assert.equal((await user('GET', '/jobs')).status, 403);

  // Bad input is a clear 422.
  const bad = await user('PATCH', `/assets/${uuid}`, {
    body: { state: 'DECIDED_KEEP', colour: 'red' },
    etag: await etagOf(uuid),
  });
  assert.equal(bad.status, 422);
  assert.match(bad.body.message, /colour|unrecognized/i);
});

test('profile choice: audio_music → DECISION_PENDING; audio_voice with transcription on → READY with a transcribe_audio job; tags and notes', async () => {
  const ids = await discover('audio/m.wav', 'audio/v.wav');
  const music = ids['INBOX/audio/m.wav']!;
  const voice = ids['INBOX/audio/v.wav']!;
  forceState(music, 'REVIEW_PENDING_PROFILE');
  forceState(voice, 'REVIEW_PENDING_PROFILE');

  const m = await user('PATCH', `/assets/${music}`, {
    body: { processing_profile: 'audio_music' },
    etag: await etagOf(music),
  });
  assert.equal(m.status, 200, JSON.stringify(m.body));
  assert.equal(m.body.summary.state, 'DECISION_PENDING');
  assert.equal(m.body.processing.processing_profile, 'audio_music');

  core.server.operator.setFeatureFlag('features.ai.transcribe_audio', true);
  try {
    const v = await user('PATCH', `/assets/${voice}`, {
      body: { processing_profile: 'audio_voice' },
      etag: await etagOf(voice),
    });
    assert.equal(v.status, 200, JSON.stringify(v.body));
    assert.equal(v.body.summary.state, 'READY');
    const jobs = await core.server.context.store.listAssetJobs(voice);
    assert.ok(jobs.some((j) => j.job_type === 'transcribe_audio' && j.status === 'pending'));
  } finally {
    core.server.operator.setFeatureFlag('features.ai.transcribe_audio', false);
  }
  const again = await user('PATCH', `/assets/${music}`, {
    body: { processing_profile: 'audio_voice' },
    etag: await etagOf(music),
  });
  assert.equal(again.status, 409);

  const tagged = await user('PATCH', `/assets/${music}`, {
    body: { tags: ['beach', 'beach', 'drone'], notes: 'keep the sunset' },
    etag: await etagOf(music),
  });
  assert.equal(tagged.status, 200);
  assert.deepEqual(tagged.body.summary.tags, ['beach', 'drone']);
  assert.equal(tagged.body.notes, 'keep the sunset');
  assert.equal(tagged.body.summary.state, 'DECISION_PENDING');
});

test('apply decisions moves originals + sidecars on disk with collision names; dry run first; purge is idempotent', async () => {
  const ids = await discover('trip/clip.mp4', 'trip/clip.srt', 'trip/other.mp4', 'trip/bad.mp4');
  const keep = ids['INBOX/trip/clip.mp4']!;
  const keep2 = ids['INBOX/trip/other.mp4']!;
  const reject = ids['INBOX/trip/bad.mp4']!;
  // An earlier archive already holds clip.mp4: the move must rename, never overwrite.
  await mkdir(path.join(core.root, 'ARCHIVE/trip'), { recursive: true });
  await writeFile(path.join(core.root, 'ARCHIVE/trip/clip.mp4'), 'older clip');
  for (const u of [keep, keep2, reject]) forceState(u, 'DECISION_PENDING');
  for (const [u, s] of [
    [keep, 'DECIDED_KEEP'],
    [keep2, 'DECIDED_KEEP'],
    [reject, 'DECIDED_REJECT'],
  ] as const) {
    const r = await user('PATCH', `/assets/${u}`, { body: { state: s }, etag: await etagOf(u) });
    assert.equal(r.status, 200);
  }

  const dry = await user('POST', '/ops/decisions/apply', { body: { dry_run: true } });
  assert.equal(dry.status, 200, JSON.stringify(dry.body));
  assert.equal(dry.body.dry_run, true);
  const ours = dry.body.moves.filter((m: any) => [keep, keep2, reject].includes(m.asset_uuid));
  assert.equal(ours.length, 3);
  const clipPlan = ours.find((m: any) => m.asset_uuid === keep);
  assert.equal(clipPlan.collision_attempt, 1);
  assert.match(clipPlan.files[0].to, /^ARCHIVE\/trip\/clip__[0-9a-z]{6}\.mp4$/);
  assert.equal(clipPlan.files[1].role, 'sidecar');
  assert.equal(clipPlan.files[1].to, clipPlan.files[0].to.replace(/\.mp4$/, '.srt'));
  assert.ok(await exists(path.join(core.root, 'INBOX/trip/clip.mp4')), 'dry run moved nothing');

  const applied = await user('POST', '/ops/decisions/apply', {
    body: { dry_run: false, asset_uuids: [keep, keep2, reject] },
    key: randomUUID(),
  });
  assert.equal(applied.status, 200, JSON.stringify(applied.body));
  assert.equal(applied.body.moved, 3, JSON.stringify(applied.body));
  assert.equal(await readFile(path.join(core.root, 'ARCHIVE/trip/clip.mp4'), 'utf8'), 'older clip');
  assert.equal(
    await readFile(path.join(core.root, clipPlan.files[0].to), 'utf8'),
    'content of trip/clip.mp4',
  );
  assert.ok(await exists(path.join(core.root, clipPlan.files[1].to)));
  assert.ok(!(await exists(path.join(core.root, 'INBOX/trip/clip.srt'))));
  assert.ok(await exists(path.join(core.root, 'ARCHIVE/trip/other.mp4')));
  assert.ok(await exists(path.join(core.root, 'REJECTS/trip/bad.mp4')));

  const detail = await user('GET', `/assets/${keep}`);
  assert.equal(detail.body.summary.state, 'ARCHIVED');
  assert.equal(detail.body.paths.original_relative, clipPlan.files[0].to);
  assert.deepEqual(detail.body.paths.sidecars_relative, [clipPlan.files[1].to]);
  assert.deepEqual(detail.body.audit.path_history, ['INBOX/trip/clip.mp4', clipPlan.files[0].to]);
  assert.equal(detail.body.decisions.current, 'KEEP');
  assert.deepEqual(contract.responseErrors('GET', '/assets/{uuid}', 200, detail.body), []);
  // The scanner does not rediscover moved files.
  await core.server.scanNow();
  assert.equal(
    (await core.server.operator.listAssets()).filter((a) => a.name === 'clip.mp4').length,
    1,
  );

  // Purge: preview, purge, repeat (ALREADY_PURGED), bulk with a non-rejected asset.
  const preview = await user('POST', `/assets/${reject}/purge/preview`);
  assert.equal(preview.status, 200);
  assert.equal(preview.body.purgeable, true);
  assert.ok(preview.body.files.some((f: any) => f.relative_path === 'REJECTS/trip/bad.mp4'));
  const noConfirm = await user('POST', `/assets/${reject}/purge`, {
    body: {},
    etag: await etagOf(reject),
    key: randomUUID(),
  });
  assert.equal(noConfirm.status, 422);
  const purged = await user('POST', `/assets/${reject}/purge`, {
    body: { confirm: true },
    etag: await etagOf(reject),
    key: randomUUID(),
  });
  assert.equal(purged.status, 200, JSON.stringify(purged.body));
  assert.equal(purged.body.status, 'PURGED');
  assert.ok(!(await exists(path.join(core.root, 'REJECTS/trip/bad.mp4'))));
  const repeat = await user('POST', `/assets/${reject}/purge`, {
    body: { confirm: true },
    etag: await etagOf(reject),
    key: randomUUID(),
  });
  assert.equal(repeat.status, 200);
  assert.equal(repeat.body.status, 'ALREADY_PURGED');
  const bulk = await user('POST', '/assets/purge', {
    body: { asset_uuids: [reject, keep], confirm: true },
    key: randomUUID(),
  });
  assert.equal(bulk.status, 200);
  assert.deepEqual(contract.responseErrors('POST', '/assets/purge', 200, bulk.body), []);
  assert.deepEqual(
    [bulk.body.requested, bulk.body.purged, bulk.body.failed],
    [2, 1, 1],
    JSON.stringify(bulk.body),
  );
  assert.equal(bulk.body.results[1].code, 'STATE_CONFLICT');
  assert.ok(await exists(path.join(core.root, clipPlan.files[0].to)), 'archived file untouched');
});

test('an asset under a live move/purge lock is neither offered nor claimable, and PATCH refuses it', async () => {
  const uuid = (await discover('lock/p.jpg'))['INBOX/lock/p.jpg']!;
  await agent.register();
  const offered = async () =>
    ((await agent.get('/jobs')).body as any[]).filter((j) => j.asset_uuid === uuid);
  const jobs = await offered();
  assert.ok(jobs.length > 0);
  const owner = 'someone-else';
  const journal = core.server.context.store.moveJournal;
  assert.equal(
    await journal.tryAcquireLock({
      asset_uuid: uuid,
      kind: 'asset_move_lock',
      owner,
      ttl_ms: 60_000,
      now: new Date(),
    }),
    true,
  );
  assert.deepEqual(await offered(), []);
  const claim = await agent.claim(jobs[0].job_id);
  assert.equal(claim.status, 409);
  assert.equal(claim.body.code, 'STATE_CONFLICT');
  forceState(uuid, 'DECISION_PENDING');
  const patch = await user('PATCH', `/assets/${uuid}`, {
    body: { state: 'DECIDED_KEEP' },
    etag: await etagOf(uuid),
  });
  assert.equal(patch.status, 409);
  assert.equal(patch.body.retryable, true);
  await journal.releaseLock(uuid, 'asset_move_lock', owner);
  const after = await user('PATCH', `/assets/${uuid}`, {
    body: { state: 'DECIDED_KEEP' },
    etag: await etagOf(uuid),
  });
  assert.equal(after.status, 200);
});

test('a job that fails for good: the asset moves on to DECISION_PENDING with the failure tag and the agent message; it can be rejected, kept anyway or retried', async () => {
  await agent.register();
  const ids = await discover('fail/ok.jpg', 'fail/nofacts.jpg', 'fail/keep.jpg');
  const withFacts = ids['INBOX/fail/ok.jpg']!;
  const noFacts = ids['INBOX/fail/nofacts.jpg']!;
  const keepAnyway = ids['INBOX/fail/keep.jpg']!;
  const jobsOf = async (uuid: string) =>
    ((await agent.get('/jobs')).body as any[]).filter((j) => j.asset_uuid === uuid);
  const failForGood = async (job: any, message = 'Corrupt JPEG: data ends at 61 %') => {
    const c = await agent.claim(job.job_id);
    assert.equal(c.status, 200, JSON.stringify(c.body));
    const f = await agent.fail(job.job_id, {
      lock_token: c.body.lock_token,
      fencing_token: c.body.fencing_token,
      error_code: 'IMAGE_UNREADABLE',
      message,
      retryable: false,
    });
    assert.equal(f.status, 200, JSON.stringify(f.body));
  };

  for (const job of await jobsOf(withFacts)) {
    if (job.job_type === 'extract_facts') {
      const c = await agent.claim(job.job_id);
      const s = await agent.submit(job.job_id, {
        lock_token: c.body.lock_token,
        fencing_token: c.body.fencing_token,
        job_type: 'extract_facts',
        result: { facts_patch: { media_format: 'jpeg', width: 40, height: 30 } },
      });
      assert.equal(s.status, 200, JSON.stringify(s.body));
    } else await failForGood(job, 'Preview: the decoder refused the file');
  }
  const d1 = await user('GET', `/assets/${withFacts}`);
  assert.equal(d1.body.summary.state, 'DECISION_PENDING');
  assert.deepEqual(d1.body.summary.tags, ['retaia:processing-failed']);
  assert.deepEqual(d1.body.fields.processing_failed_jobs, ['generate_preview']);
  assert.deepEqual(d1.body.fields.processing_failure_codes, ['IMAGE_UNREADABLE']);
  assert.equal(d1.body.fields.processing_failure, 'Preview: the decoder refused the file');
  assert.equal(d1.body.fields.width, 40);
  assert.deepEqual(contract.responseErrors('GET', '/assets/{uuid}', 200, d1.body), []);

  // Missing minimal facts no longer strand the asset: it is decidable too.
  const [first, ...rest] = await jobsOf(noFacts);
  const claim = await agent.claim(first.job_id);
  const before = await etagOf(noFacts);
  const failed = await agent.fail(first.job_id, {
    lock_token: claim.body.lock_token,
    fencing_token: claim.body.fencing_token,
    error_code: 'IMAGE_UNREADABLE',
    message: 'Corrupt JPEG: data ends at 61 %',
    retryable: false,
  });
  assert.equal(failed.status, 200, JSON.stringify(failed.body));
  // One failure while another job is still pending: no state change yet, but a new revision.
  const mid = await user('GET', `/assets/${noFacts}`);
  assert.equal(mid.body.summary.state, 'PROCESSING_REVIEW');
  assert.notEqual(mid.headers.get('etag'), before);
  for (const job of rest) await failForGood(job);
  const d2 = await user('GET', `/assets/${noFacts}`);
  assert.equal(d2.body.summary.state, 'DECISION_PENDING');
  assert.equal(d2.body.fields.processing_failed_jobs.length, 2);
  assert.equal(d2.body.fields.processing_failure, 'Corrupt JPEG: data ends at 61 %');
  // Humans cannot remove the mark by editing tags (nor add one).
  const tagged = await user('PATCH', `/assets/${noFacts}`, {
    body: { tags: ['rating:2', 'retaia:fake'] },
    etag: d2.headers.get('etag')!,
  });
  assert.equal(tagged.status, 200, JSON.stringify(tagged.body));
  assert.deepEqual(tagged.body.summary.tags.sort(), ['rating:2', 'retaia:processing-failed']);
  // Reject it (out of INBOX through the normal apply), or retry it.
  const rejected = await user('PATCH', `/assets/${noFacts}`, {
    body: { state: 'DECIDED_REJECT' },
    etag: tagged.headers.get('etag')!,
  });
  assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
  const re = await user('POST', `/assets/${noFacts}/reprocess`, {
    etag: rejected.headers.get('etag')!,
    key: randomUUID(),
  });
  assert.equal(re.status, 200, JSON.stringify(re.body));
  assert.equal(re.body.summary.state, 'READY');
  assert.equal(re.body.processing.review_processing_version, '2');
  assert.equal(re.body.fields.processing_failed_jobs, undefined);
  assert.deepEqual(re.body.summary.tags, ['rating:2']);
  assert.deepEqual(
    re.body.decisions.history.map((h: any) => h.action),
    ['REJECT', 'CLEAR'],
  );
  const fresh = await jobsOf(noFacts);
  assert.deepEqual(fresh.map((j) => j.job_type).sort(), ['extract_facts', 'generate_preview']);

  // Keep it anyway: a failed asset is archived like any other.
  for (const job of await jobsOf(keepAnyway)) await failForGood(job);
  const kept = await user('PATCH', `/assets/${keepAnyway}`, {
    body: { state: 'DECIDED_KEEP' },
    etag: await etagOf(keepAnyway),
  });
  assert.equal(kept.status, 200, JSON.stringify(kept.body));
  const applied = await user('POST', '/ops/decisions/apply', {
    body: { dry_run: false, asset_uuids: [keepAnyway] },
    key: randomUUID(),
  });
  assert.equal(applied.status, 200, JSON.stringify(applied.body));
  assert.equal((await user('GET', `/assets/${keepAnyway}`)).body.summary.state, 'ARCHIVED');
  // A non-failed decided asset still cannot be reprocessed from DECIDED_*.
  const plain = (await discover('fail/plain.jpg'))['INBOX/fail/plain.jpg']!;
  forceState(plain, 'DECIDED_KEEP');
  const refused = await user('POST', `/assets/${plain}/reprocess`, {
    etag: await etagOf(plain),
    key: randomUUID(),
  });
  assert.equal(refused.status, 409, JSON.stringify(refused.body));
});

test('GET /assets?sort=-updated_at lists the most recently changed asset first (live review polls it); an unknown sort is a 422', async () => {
  const ids = await discover('sort/a.jpg', 'sort/b.jpg');
  const a = ids['INBOX/sort/a.jpg']!;
  forceState(a, 'DECISION_PENDING');
  const noted = await user('PATCH', `/assets/${a}`, {
    body: { notes: 'x' },
    etag: await etagOf(a),
  });
  assert.equal(noted.status, 200);
  const top = await user('GET', '/assets?sort=-updated_at&limit=1');
  assert.equal(top.status, 200);
  assert.equal(top.body.items[0].uuid, a);
  assert.equal(top.body.items[0].revision_etag, noted.headers.get('etag'));
  assert.deepEqual(contract.responseErrors('GET', '/assets', 200, top.body), []);
  const names = (await user('GET', '/assets?sort=name&limit=500')).body.items.map(
    (i: any) => i.name as string,
  );
  assert.ok(names.length > 2);
  assert.deepEqual(
    names,
    [...names].sort((x, y) => x.toLowerCase().localeCompare(y.toLowerCase())),
  );
  const bad = await user('GET', '/assets?sort=size');
  assert.equal(bad.status, 422);
  assert.match(bad.body.message, /sort must be one of/);
});

test('an asset stuck in PROCESSING_REVIEW by an older Core (failed job, nothing running) is settled when the database opens', async () => {
  const uuid = (await discover('stuck/old.jpg'))['INBOX/stuck/old.jpg']!;
  for (const job of ((await agent.get('/jobs')).body as any[]).filter(
    (j) => j.asset_uuid === uuid,
  )) {
    const c = await agent.claim(job.job_id);
    await agent.fail(job.job_id, {
      lock_token: c.body.lock_token,
      fencing_token: c.body.fencing_token,
      error_code: 'EMPTY_FILE',
      message: 'Empty file (0 bytes)',
      retryable: false,
    });
  }
  // What an older Core left behind: still processing, no failure tag.
  db()
    .prepare(`UPDATE assets SET state = 'PROCESSING_REVIEW', tags = '[]' WHERE uuid = ?`)
    .run(uuid);
  const second = openDatabase(core.dataDir);
  second.close();
  const d = await user('GET', `/assets/${uuid}`);
  assert.equal(d.body.summary.state, 'DECISION_PENDING');
  assert.deepEqual(d.body.summary.tags, ['retaia:processing-failed']);
  assert.equal(d.body.fields.processing_failure, 'Empty file (0 bytes)');
});
