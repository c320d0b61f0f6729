/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked against the contract, not typed */
// Decision history and re-decisions through real HTTP on a real storage root: every human
// decision (KEEP / REJECT / CLEAR) is returned in `decisions.history` with `at` and `by`, and an
// applied asset that is reopened and decided again is moved between ARCHIVE and REJECTS (or left
// in place when the decision matches its folder) by the same apply call.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { AssetState } from '@retaia/protocol';
import { loadContractValidator } from '@retaia/protocol/contract-validator';
import { collisionNonce } from '../src/moves/index.js';
import type { SqliteCoreStore } from '../src/store/sqlite/sqlite-core-store.js';
import { http, startTestCore, type TestCore } from './support/signed-test-client.js';

const contract = loadContractValidator();
let core: TestCore;
const tokens: Record<string, string> = {};
const OP = 'op@example.test';
const OP2 = 'second@example.test';

const exists = (p: string) =>
  access(path.join(core.root, p)).then(
    () => true,
    () => false,
  );

async function login(email: string): Promise<string> {
  const res = await http(`${core.server.apiUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'pw-123456', client_kind: 'UI_WEB' }),
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.access_token;
}

before(async () => {
  core = await startTestCore({ buildReviewUi: false });
  for (const email of [OP, OP2]) {
    await core.server.operator.addUser(email, 'pw-123456');
    tokens[email] = await login(email);
  }
});
after(() => core.dispose());

function call(
  method: string,
  p: string,
  opts: { body?: unknown; etag?: string; key?: string; as?: string } = {},
) {
  const headers: Record<string, string> = { authorization: `Bearer ${tokens[opts.as ?? OP]}` };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.etag) headers['if-match'] = opts.etag;
  if (opts.key) headers['idempotency-key'] = opts.key;
  return http(`${core.server.apiUrl}${p}`, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
}

/** GET /assets/{uuid}, checked against the contract's AssetDetail. */
async function detail(uuid: string): Promise<{ body: any; etag: string }> {
  const res = await call('GET', `/assets/${uuid}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(contract.responseErrors('GET', '/assets/{uuid}', 200, res.body), []);
  return { body: res.body, etag: res.headers.get('etag')! };
}

async function patchState(uuid: string, state: AssetState, as = OP) {
  const res = await call('PATCH', `/assets/${uuid}`, {
    body: { state },
    etag: (await detail(uuid)).etag,
    as,
  });
  assert.equal(res.status, 200, `PATCH → ${state}: ${JSON.stringify(res.body)}`);
  assert.deepEqual(contract.responseErrors('PATCH', '/assets/{uuid}', 200, res.body), []);
  return res.body;
}

async function reopen(uuid: string) {
  const res = await call('POST', `/assets/${uuid}/reopen`, { etag: (await detail(uuid)).etag });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

async function apply(uuid: string) {
  const res = await call('POST', '/ops/decisions/apply', {
    body: { dry_run: false, asset_uuids: [uuid] },
    key: randomUUID(),
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.moved, 1, JSON.stringify(res.body));
  return res.body.results[0];
}

async function dryRun(uuid: string) {
  const res = await call('POST', '/ops/decisions/apply', {
    body: { dry_run: true, asset_uuids: [uuid] },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

/** Writes an INBOX clip + sidecar, discovers it and puts it up for decision (test setup). */
async function pendingClip(sub: string): Promise<string> {
  for (const name of [`${sub}/clip.mp4`, `${sub}/clip.srt`]) {
    const abs = path.join(core.root, 'INBOX', name);
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, `content of ${name}`);
  }
  await core.server.scanNow();
  await core.server.scanNow();
  const asset = (await core.server.operator.listAssets()).find(
    (a) => a.relative_path === `INBOX/${sub}/clip.mp4`,
  )!;
  assert.deepEqual(asset.sidecars, [`INBOX/${sub}/clip.srt`]);
  (core.server.context.store as SqliteCoreStore).db
    .prepare(`UPDATE assets SET state = 'DECISION_PENDING', revision = revision + 1 WHERE uuid = ?`)
    .run(asset.uuid);
  return asset.uuid;
}

const actions = (body: any) => body.decisions.history.map((h: any) => h.action);

test('decisions.history records KEEP / REJECT / CLEAR with at and by, in order, and matches the contract', async () => {
  const uuid = await pendingClip('hist');
  assert.deepEqual((await detail(uuid)).body.decisions, { current: null, history: [] });

  const t0 = Date.now();
  await patchState(uuid, 'DECIDED_KEEP');
  await patchState(uuid, 'DECIDED_REJECT', OP2);
  // A refused change (409) and a metadata-only PATCH leave no trace in the history.
  const refused = await call('PATCH', `/assets/${uuid}`, {
    body: { state: 'REJECTED' },
    etag: (await detail(uuid)).etag,
  });
  assert.equal(refused.status, 409);
  const tagged = await call('PATCH', `/assets/${uuid}`, {
    body: { tags: ['x'] },
    etag: (await detail(uuid)).etag,
  });
  assert.equal(tagged.status, 200);
  const cleared = await patchState(uuid, 'DECISION_PENDING');
  assert.deepEqual(actions(cleared), ['KEEP', 'REJECT', 'CLEAR'], 'PATCH answer carries it');
  await patchState(uuid, 'DECIDED_KEEP', OP2);

  const { body } = await detail(uuid);
  assert.equal(body.decisions.current, 'KEEP');
  const history = body.decisions.history;
  assert.deepEqual(actions(body), ['KEEP', 'REJECT', 'CLEAR', 'KEEP']);
  assert.deepEqual(
    history.map((h: any) => h.by),
    [OP, OP2, OP, OP2],
  );
  let previous = t0 - 1;
  for (const h of history) {
    const at = Date.parse(h.at);
    assert.ok(at >= previous && at <= Date.now(), `at ${h.at} in order and in the test window`);
    previous = at;
  }
});

test('reopen → re-decide → apply moves ARCHIVE ↔ REJECTS with sidecars, or applies in place', async () => {
  const uuid = await pendingClip('redo/day1');
  await patchState(uuid, 'DECIDED_KEEP');
  await apply(uuid);
  assert.ok(await exists('ARCHIVE/redo/day1/clip.mp4'));
  assert.ok(await exists('ARCHIVE/redo/day1/clip.srt'));

  // ARCHIVED → reopen → REJECT → apply: the whole group moves to REJECTS/<same sub>.
  const reopened = await reopen(uuid);
  assert.equal(reopened.summary.state, 'DECISION_PENDING');
  assert.deepEqual(actions(reopened), ['KEEP', 'CLEAR']);
  await patchState(uuid, 'DECIDED_REJECT');
  const plan = await dryRun(uuid);
  assert.deepEqual(plan.errors, []);
  assert.equal(plan.moves[0].in_place, false);
  assert.deepEqual(
    plan.moves[0].files.map((f: any) => [f.from, f.to]),
    [
      ['ARCHIVE/redo/day1/clip.mp4', 'REJECTS/redo/day1/clip.mp4'],
      ['ARCHIVE/redo/day1/clip.srt', 'REJECTS/redo/day1/clip.srt'],
    ],
  );
  assert.equal(await exists('REJECTS/redo/day1/clip.mp4'), false, 'dry run moved nothing');
  await apply(uuid);
  let d = (await detail(uuid)).body;
  assert.equal(d.summary.state, 'REJECTED');
  assert.equal(d.paths.original_relative, 'REJECTS/redo/day1/clip.mp4');
  assert.deepEqual(d.paths.sidecars_relative, ['REJECTS/redo/day1/clip.srt']);
  assert.deepEqual(d.audit.path_history, [
    'INBOX/redo/day1/clip.mp4',
    'ARCHIVE/redo/day1/clip.mp4',
    'REJECTS/redo/day1/clip.mp4',
  ]);
  assert.equal(await exists('ARCHIVE/redo/day1/clip.mp4'), false);
  assert.equal(await exists('ARCHIVE/redo/day1/clip.srt'), false);
  assert.equal(
    await readFile(path.join(core.root, 'REJECTS/redo/day1/clip.mp4'), 'utf8'),
    'content of redo/day1/clip.mp4',
  );

  // REJECTED → reopen (PATCH) → REJECT again → apply: nothing moves, the state is published.
  await patchState(uuid, 'DECISION_PENDING');
  await patchState(uuid, 'DECIDED_REJECT');
  const inPlace = await dryRun(uuid);
  assert.equal(inPlace.moves[0].in_place, true);
  assert.deepEqual(inPlace.moves[0].files, []);
  const r = await apply(uuid);
  assert.deepEqual(r.files, []);
  d = (await detail(uuid)).body;
  assert.equal(d.summary.state, 'REJECTED');
  assert.equal(d.paths.original_relative, 'REJECTS/redo/day1/clip.mp4');
  assert.equal(d.audit.path_history.length, 3, 'no move, no new path');

  // REJECTED → reopen → KEEP while another file took the name in ARCHIVE: collision naming.
  await writeFile(path.join(core.root, 'ARCHIVE/redo/day1/clip.mp4'), 'someone else');
  await reopen(uuid);
  await patchState(uuid, 'DECIDED_KEEP');
  await apply(uuid);
  const nonce = collisionNonce(uuid, 'ARCHIVE/redo/day1', 1);
  d = (await detail(uuid)).body;
  assert.equal(d.summary.state, 'ARCHIVED');
  assert.equal(d.paths.original_relative, `ARCHIVE/redo/day1/clip__${nonce}.mp4`);
  assert.deepEqual(d.paths.sidecars_relative, [`ARCHIVE/redo/day1/clip__${nonce}.srt`]);
  assert.equal(
    await readFile(path.join(core.root, 'ARCHIVE/redo/day1/clip.mp4'), 'utf8'),
    'someone else',
  );
  assert.equal(await exists('REJECTS/redo/day1/clip.mp4'), false);
  assert.deepEqual(actions(d), ['KEEP', 'CLEAR', 'REJECT', 'CLEAR', 'REJECT', 'CLEAR', 'KEEP']);
});
