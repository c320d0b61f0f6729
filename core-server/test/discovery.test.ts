import assert from 'node:assert/strict';
import { mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { startTestCore } from './support/signed-test-client.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

test('discovery: stability rule, sidecars, unknown files, symlinks skipped with a reason, unsafe names', async () => {
  const core = await startTestCore({ stabilityWindowMs: 60_000 });
  try {
    const inbox = path.join(core.root, 'INBOX');
    await mkdir(path.join(inbox, 'day1'), { recursive: true });
    const old = new Date(Date.now() - 120_000);
    const put = async (rel: string, content: string, mtime = old) => {
      await writeFile(path.join(inbox, rel), content);
      await utimes(path.join(inbox, rel), mtime, mtime);
    };
    await put('day1/IMG_1.JPG', 'photo');
    await put('day1/IMG_1.xmp', '<xmp/>');
    await put('day1/GX01.MP4', 'video');
    await put('day1/GX01.SRT', 'subs');
    await put('day1/GX01.LRV', 'lowres');
    await put('rec.wav', 'audio');
    await put('notes.txt', 'unknown');
    await put('fresh.mov', 'still copying', new Date());
    const outside = makeTempDir('outside-');
    await writeFile(path.join(outside, 'secret.mp4'), 'x');
    await symlink(path.join(outside, 'secret.mp4'), path.join(inbox, 'escape.mp4'));
    await symlink(path.join(inbox, 'rec.wav'), path.join(inbox, 'inside-link.wav'));

    const first = await core.server.scanNow();
    assert.equal(first.new_assets, 4);
    assert.equal(first.unknown_files, 1);
    assert.equal(first.ignored_symlinks, 2, 'links out of the root and inside it alike');
    assert.deepEqual(first.skipped.map((s) => s.path).sort(), [
      'INBOX/escape.mp4',
      'INBOX/inside-link.wav',
    ]);
    assert.match(first.skipped[0]!.reason, /symbolic link/);
    assert.equal(first.became_ready, 0, 'one scan is never enough');
    const assets = await core.server.operator.listAssets();
    const byName = new Map(assets.map((a) => [a.name, a]));
    assert.ok(!byName.has('escape.mp4'));
    assert.ok(!byName.has('inside-link.wav'));
    assert.deepEqual(byName.get('IMG_1.JPG')!.sidecars, ['INBOX/day1/IMG_1.xmp']);
    assert.deepEqual(
      byName.get('GX01.MP4')!.sidecars,
      ['INBOX/day1/GX01.SRT'],
      '.lrv only when enabled',
    );
    assert.equal(byName.get('GX01.MP4')!.profile, 'video_standard');
    assert.equal(byName.get('rec.wav')!.profile, 'audio_undefined');
    assert.equal(byName.get('IMG_1.JPG')!.media_type, 'PHOTO');

    // Size changes between scans reset the counter.
    await put('day1/IMG_1.JPG', 'photo grown');
    const second = await core.server.scanNow();
    assert.equal(second.became_ready, 2, 'GX01, rec.wav');
    const third = await core.server.scanNow();
    assert.equal(third.became_ready, 1, 'IMG_1 after two equal sizes');
    const after = new Map((await core.server.operator.listAssets()).map((a) => [a.name, a.state]));
    assert.equal(after.get('fresh.mov'), 'DISCOVERED', 'mtime inside the stability window');
    assert.equal(after.get('IMG_1.JPG'), 'READY');
    const jobs = await core.server.context.store.listPendingJobs();
    assert.equal(jobs.filter((j) => j.job_type === 'generate_thumbnails').length, 1);
    assert.equal(jobs.filter((j) => j.job_type === 'transcribe_audio').length, 0, 'flag off');

    // A rescan of unchanged files writes nothing.
    const fourth = await core.server.scanNow();
    assert.equal(fourth.new_assets + fourth.became_ready, 0);
  } finally {
    await core.dispose();
  }
});

test('discovery: names with newlines are refused; video proxy sidecars when enabled', async () => {
  const core = await startTestCore({ videoProxySidecars: true });
  try {
    const inbox = path.join(core.root, 'INBOX');
    await writeFile(path.join(inbox, 'bad\nname.mp4'), 'x');
    await writeFile(path.join(inbox, 'C0001.MP4'), 'x');
    await writeFile(path.join(inbox, 'C0001.THM'), 'x');
    const r = await core.server.scanNow();
    assert.equal(r.unsafe_names, 1);
    const [asset] = await core.server.operator.listAssets();
    assert.deepEqual(asset!.sidecars, ['INBOX/C0001.THM']);
  } finally {
    await core.dispose();
  }
});

test('marker: another storage id or invalid JSON refuses to start', async () => {
  const core = await startTestCore();
  await core.server.close();
  const { startCoreServer } = await import('../src/index.js');
  await assert.rejects(
    startCoreServer({ storageRoot: core.root, storageId: 'other', dataDir: core.dataDir, port: 0 }),
    /belongs to storage "nas-test"/,
  );
  await writeFile(path.join(core.root, '.retaia'), '{oops');
  await assert.rejects(
    startCoreServer({
      storageRoot: core.root,
      storageId: 'nas-test',
      dataDir: core.dataDir,
      port: 0,
    }),
    /not valid JSON/,
  );
  await core.dispose();
});
