// The crafted-"video" attack against the whole system (real core-server, real agent daemon in
// a child process, real ffmpeg): INBOX receives `innocent_clip.mp4`, a text HLS playlist that
// points at a private recording outside the storage root, and `interview.mkv`, an ffmpeg concat
// list doing the same. Nothing of the private recording may reach Core (no facts, no preview,
// no thumbnails, no waveform, no upload), and every job of those assets fails for good with the
// reason. A real clip dropped beside them is processed, so the agent was really at work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RECOGNISABLE_RECORDING } from '@retaia/protocol/testing/ffmpeg-fixture-args.js';
import { runFfmpegFixture as ff } from '../../scripts/demo-library.js';
import { publishedKinds, waitJobsFinished } from '../support/job-audit.js';
import { makeSmallMedia } from '../support/small-media.js';
import { System, waitFor } from '../support/system.js';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

test('a playlist disguised as a video never makes the agent read or upload a file outside its mount', async () => {
  const sys = await System.start({ maxAttempts: 3 });
  try {
    // Alice's private recording, outside the storage root the agent mounts.
    const home = join(sys.root, 'home-alice');
    await mkdir(home);
    const privateTs = join(home, 'private.ts');
    const privateMp4 = join(home, 'private.mp4');
    const secret = RECOGNISABLE_RECORDING;
    await ff([...secret, '-c:v', 'mpeg2video', '-c:a', 'mp2', '-f', 'mpegts', privateTs]);
    await ff([...secret, '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', privateMp4]);

    await writeFile(
      join(sys.inbox, 'innocent_clip.mp4'),
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-TARGETDURATION:10',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXTINF:3.0,',
        `file://${privateTs}`,
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(sys.inbox, 'interview.mkv'),
      `ffconcat version 1.0\nfile '${privateMp4}'\n`,
    );
    const media = await makeSmallMedia(join(sys.root, 'src'));
    await copyFile(media.video, join(sys.inbox, 'real-clip.mp4'));

    await sys.spawnAgent('victim');
    await waitJobsFinished(sys, 3, 240_000);
    const store = sys.server.context.store;
    const assets = await sys.assets();
    const byName = (n: string) => {
      const a = assets.find((x) => x.name === n);
      assert.ok(a, `asset ${n} in ${JSON.stringify(assets.map((x) => x.name))}`);
      return a;
    };

    const crafted = [
      { name: 'innocent_clip.mp4', reason: /HLS playlist/ },
      { name: 'interview.mkv', reason: /concat list/ },
    ];
    for (const { name, reason } of crafted) {
      const asset = byName(name);
      const record = (await store.getAsset(asset.uuid))!;
      assert.deepEqual(record.facts ?? {}, {}, `${name}: no facts reached Core`);
      assert.deepEqual(await store.listDerived(asset.uuid), [], `${name}: no derived files`);
      assert.deepEqual(await publishedKinds(sys, asset.uuid), {}, `${name}: nothing published`);
      const jobs = await store.listAssetJobs(asset.uuid);
      assert.ok(jobs.length > 0, `${name}: review jobs were planned`);
      for (const job of jobs) {
        assert.equal(job.status, 'failed', `${name} ${job.job_type}: ${job.status}`);
        const claims = await store.listJobClaims(job.job_id);
        assert.equal(claims.length, 1, `${name} ${job.job_type}: failed once, never retried`);
        const [c] = claims;
        assert.equal(c!.outcome, 'failed');
        assert.equal(c!.error_code, 'MEDIA_FORMAT_REFUSED', `${name} ${job.job_type}`);
        assert.equal(c!.retryable, false);
        assert.match(c!.message ?? '', reason);
        assert.match(c!.message ?? '', /only reads the file it was given/);
      }
    }

    // The real clip went all the way: the agent worked, and its uploads are the only ones.
    const real = byName('real-clip.mp4');
    await waitFor(
      async () =>
        (await sys.assets()).some((a) => a.uuid === real.uuid && a.state === 'DECISION_PENDING'),
      60_000,
    );
    const kinds = await publishedKinds(sys, real.uuid);
    assert.ok(kinds.preview_video === 1 && (kinds.thumb ?? 0) > 0, JSON.stringify(kinds));
    const derivedRoot = join(sys.storageRoot, '.derived');
    // A submit's files are in place before its commit, but their staging folders
    // (.derived/.uploads/<upload id>/) are removed just after it: let the real clip's last ones
    // go, so every file left is named by the asset it belongs to. Staging that never goes fails here too.
    await waitFor(
      async () =>
        (await filesUnder(derivedRoot)).every(
          (f) => !f.includes(`${join('.derived', '.uploads')}/`),
        ),
      30_000,
    );
    for (const f of await filesUnder(derivedRoot)) {
      assert.ok(f.includes(real.uuid), `only the real clip has derived files, found ${f}`);
    }
  } finally {
    await sys.stop();
  }
});
