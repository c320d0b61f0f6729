// What users' disks really hold: corrupt, empty and mislabelled files, unicode and very long
// names, files still being copied, files deleted before processing, symlinks pointing out of
// the storage root. Each fails cleanly with a reason or is processed; nothing crashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, copyFile, readFile, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SETTLED_STATES, System, sleep, waitFor } from './support/system.js';
import { makeSmallMedia } from './support/small-media.js';
import { waitJobsFinished } from './support/job-audit.js';

test('hostile input fails cleanly, odd names work, growing and vanished files are handled', async () => {
  // A real stability window: a file appended to every 200 ms keeps a fresh mtime, whatever the
  // scan timing on a loaded machine.
  const sys = await System.start({ stabilityWindowMs: 1500 });
  try {
    const media = await makeSmallMedia(join(sys.root, 'src'));
    const inbox = sys.inbox;
    const unicodeName = 'Interview été — 東京 🎬.mp4';
    const longName = `${'very-long-name-'.repeat(15)}end.mp3`; // 228 bytes, under NAME_MAX
    await writeFile(join(inbox, 'zero-bytes.mp4'), '');
    await writeFile(
      join(inbox, 'not-a-video.mov'),
      'this is a text file wearing a .mov extension\n',
    );
    await writeFile(join(inbox, 'truncated.jpg'), (await readFile(media.photo)).subarray(0, 700));
    await copyFile(media.video, join(inbox, unicodeName));
    await copyFile(media.audio, join(inbox, longName));
    // Symlinks that lead out of the storage root must never become assets.
    const outside = join(sys.root, 'outside');
    await mkdir(outside);
    await copyFile(media.video, join(outside, 'secret.mp4'));
    await symlink(join(outside, 'secret.mp4'), join(inbox, 'escape.mp4'));
    await symlink(outside, join(inbox, 'escape-dir'));

    // A file deleted after discovery, before any agent runs its jobs.
    await copyFile(media.video, join(inbox, 'vanishing.mp4'));
    await waitFor(
      async () =>
        (await sys.assets()).some((a) => a.name === 'vanishing.mp4' && a.state === 'READY'),
      30_000,
    );
    await rm(join(inbox, 'vanishing.mp4'));

    // A file still being copied: it must not be handed out while it grows.
    const growing = join(inbox, 'still-copying.mp3');
    const chunk = await readFile(media.audio);
    await writeFile(growing, chunk);
    const seenWhileGrowing = new Set<string>();
    for (let i = 0; i < 12; i++) {
      await appendFile(growing, chunk);
      await sleep(200);
      const a = (await sys.assets()).find((x) => x.name === 'still-copying.mp3');
      if (a) seenWhileGrowing.add(a.state);
    }
    assert.deepEqual(
      [...seenWhileGrowing].filter((s) => s !== 'DISCOVERED'),
      [],
      'never READY while growing',
    );

    const agent = await sys.spawnAgent('sturdy');
    const expected = 8; // zero, not-a-video, truncated, unicode, long, vanishing, growing + none for symlinks
    await waitJobsFinished(sys, expected - 1, 240_000);
    const assets = await sys.assets();
    const names = assets.map((a) => a.name);
    assert.ok(
      !names.includes('escape.mp4') && !names.some((n) => n?.includes('secret')),
      `symlinks ignored: ${names}`,
    );

    const store = sys.server.context.store;
    const failures = async (name: string) => {
      const asset = assets.find((a) => a.name === name);
      assert.ok(asset, `asset ${name}`);
      const jobs = await store.listAssetJobs(asset.uuid);
      const claims = (await Promise.all(jobs.map((j) => store.listJobClaims(j.job_id)))).flat();
      return { jobs, failed: claims.filter((c) => c.outcome === 'failed') };
    };
    for (const bad of ['zero-bytes.mp4', 'not-a-video.mov', 'truncated.jpg', 'vanishing.mp4']) {
      const { jobs, failed } = await failures(bad);
      assert.ok(failed.length > 0, `${bad}: a job failed`);
      for (const f of failed) {
        assert.equal(f.retryable, false, `${bad}: ${f.error_code} should be non-retryable`);
        assert.ok((f.message ?? '').length > 10, `${bad}: useful message, got ${f.message}`);
      }
      assert.ok(
        jobs.every((j) => j.status !== 'claimed' && j.status !== 'pending'),
        `${bad}: nothing left hanging`,
      );
      console.log(
        `[e2e] ${bad}: ${failed.map((f) => `${f.error_code}: ${f.message}`).join(' | ')}`,
      );
    }
    const good = [unicodeName, longName, 'still-copying.mp3'];
    let settled = assets;
    await waitFor(
      async () => {
        settled = await sys.assets();
        return good.every((n) =>
          SETTLED_STATES.has(settled.find((a) => a.name === n)?.state ?? ''),
        );
      },
      120_000,
      () => JSON.stringify(settled.map((a) => [a.name, a.state])),
    );
    const stateOf = (n: string) => settled.find((a) => a.name === n)?.state;
    assert.equal(stateOf(unicodeName), 'DECISION_PENDING');
    assert.equal(stateOf(longName), 'REVIEW_PENDING_PROFILE');
    assert.equal(stateOf('still-copying.mp3'), 'REVIEW_PENDING_PROFILE');
    assert.equal((await agent.control.status()).state, 'running', 'the agent survived all of it');
  } finally {
    await sys.stop();
  }
});
