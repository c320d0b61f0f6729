// Sidecar ownership and name shortening on a real storage tree through the real HTTP API
// (docs/storage-safety.md): an ambiguous sidecar belongs to no asset and is never moved or
// purged with one of them; a name too long for the collision suffix is shortened, never stuck.
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { HumanSession } from './support/human-session.js';
import { startTestCore, type TestCore } from './support/signed-test-client.js';

let core: TestCore;
let human: HumanSession;

before(async () => {
  core = await startTestCore({ buildReviewUi: false });
  human = await HumanSession.open(core);
});
after(() => core.dispose());

const abs = (rel: string) => path.join(core.root, rel);
const assetAt = async (rel: string) =>
  (await core.server.operator.listAssets()).find((a) => a.relative_path === rel);

async function decideAndApply(uuid: string, state: 'DECIDED_KEEP' | 'DECIDED_REJECT') {
  human.forceState(uuid, 'DECISION_PENDING');
  assert.equal((await human.decide(uuid, state)).status, 200);
  const res = await human.applyDecisions([uuid], false);
  assert.equal(res.body.moved, 1, JSON.stringify(res.body));
}

test('twin.mp4 + twin.mov + twin.srt: the subtitle belongs to neither, is reported, and survives reject + purge', async () => {
  const ids = await human.discover({
    'twins/twin.mp4': 'kept clip',
    'twins/twin.mov': 'rejected clip',
    'twins/twin.srt': 'subtitle of one of them',
  });
  const mp4 = ids['INBOX/twins/twin.mp4']!;
  const mov = ids['INBOX/twins/twin.mov']!;
  assert.deepEqual((await assetAt('INBOX/twins/twin.mp4'))!.sidecars, []);
  assert.deepEqual((await assetAt('INBOX/twins/twin.mov'))!.sidecars, []);
  const report = await core.server.scanNow();
  assert.deepEqual(report.ambiguous_sidecars, [
    {
      sidecar: 'INBOX/twins/twin.srt',
      claimed_by: ['INBOX/twins/twin.mov', 'INBOX/twins/twin.mp4'].sort(),
    },
  ]);

  const warnings = () => core.logLines.filter((l) => l.includes('owned by none')).length;
  assert.equal(warnings(), 1, 'warned once, not on every rescan of the same state');

  // Keep the mp4 first: once it has left, the subtitle is not handed to the mov either.
  await decideAndApply(mp4, 'DECIDED_KEEP');
  const rescan = await core.server.scanNow();
  assert.deepEqual((await assetAt('INBOX/twins/twin.mov'))!.sidecars, []);
  assert.equal(rescan.ambiguous_sidecars[0]?.sidecar, 'INBOX/twins/twin.srt');

  await decideAndApply(mov, 'DECIDED_REJECT');
  const purged = await human.purge(mov);
  assert.equal(purged.status, 200, JSON.stringify(purged.body));
  assert.deepEqual(purged.body.deleted, ['REJECTS/twins/twin.mov']);
  assert.equal(await readFile(abs('INBOX/twins/twin.srt'), 'utf8'), 'subtitle of one of them');
  assert.deepEqual(await readdir(abs('ARCHIVE/twins')), ['twin.mp4']);
});

test('a camera name used again later keeps its own sidecar (the archived clip took its own)', async () => {
  const first = await human.discover({ 'card/GX01.MP4': 'day 1', 'card/GX01.SRT': 'day 1 gps' });
  assert.deepEqual((await assetAt('INBOX/card/GX01.MP4'))!.sidecars, ['INBOX/card/GX01.SRT']);
  await decideAndApply(first['INBOX/card/GX01.MP4']!, 'DECIDED_KEEP');
  await human.discover({ 'card/GX01.MP4': 'day 2', 'card/GX01.SRT': 'day 2 gps' });
  assert.deepEqual((await assetAt('INBOX/card/GX01.MP4'))!.sidecars, ['INBOX/card/GX01.SRT']);
});

test('a name too long for the collision suffix is shortened (UTF-8 safe, ≤ 255 bytes) and the asset is archived', async () => {
  const stem = `a${'é'.repeat(123)}`; // 247 bytes: + ".jpg" fits, + "__nonce6.jpg" would not
  await mkdir(abs('ARCHIVE/long'), { recursive: true });
  await writeFile(abs(`ARCHIVE/long/${stem}.jpg`), 'an older photo of the same name');
  const ids = await human.discover({
    [`long/${stem}.jpg`]: 'new photo',
    [`long/${stem}.xmp`]: '<xmp/>',
  });
  const uuid = ids[`INBOX/long/${stem}.jpg`]!;
  human.forceState(uuid, 'DECISION_PENDING');
  assert.equal((await human.decide(uuid, 'DECIDED_KEEP')).status, 200);
  const dry = await human.applyDecisions([uuid], true);
  assert.equal(dry.body.collision_count, 1, JSON.stringify(dry.body));
  const planned = dry.body.moves[0].files.map((f: { to: string }) => f.to);

  const res = await human.applyDecisions([uuid], false);
  assert.equal(res.body.moved, 1, JSON.stringify(res.body));
  const asset = (await core.server.operator.listAssets()).find((a) => a.uuid === uuid)!;
  assert.equal(asset.state, 'ARCHIVED');
  assert.deepEqual([asset.relative_path, ...asset.sidecars], planned, 'the dry run said so');
  const names = (await readdir(abs('ARCHIVE/long'))).sort();
  assert.equal(names.length, 3);
  for (const name of names) {
    assert.ok(Buffer.byteLength(name) <= 255, `${Buffer.byteLength(name)} bytes`);
    assert.match(name, /^aé+(__[0-9a-z]{6})?\.(jpg|xmp)$/u, 'no character cut in half');
  }
  assert.equal(
    await readFile(abs(`ARCHIVE/long/${stem}.jpg`), 'utf8'),
    'an older photo of the same name',
  );
  assert.equal(await readFile(abs(asset.relative_path), 'utf8'), 'new photo');
});
