// A newcomer's library — video with and without audio, audio, photos, sidecars — goes through
// real core-server + a real agent daemon + real ffmpeg and comes out reviewable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { createDemoLibrary } from '../scripts/demo-library.js';
import { ffprobeJson, topLevelBoxes } from '../agent-core/src/processing/testing/conformance.js';
import { System } from './support/system.js';
import type { AssetDerived, AssetDetail } from '@retaia/protocol';

test('a mixed library reaches review with conformant derivatives', async () => {
  const sys = await System.start();
  try {
    const files = await createDemoLibrary(sys.inbox, { seconds: 3 });
    const started = Date.now();
    await sys.spawnAgent('solo');
    const assets = await sys.waitSettled(files.length, 240_000);
    const minutes = (Date.now() - started) / 60_000;
    console.log(
      `[e2e] ${assets.length} assets settled in ${(minutes * 60).toFixed(1)} s = ${(assets.length / minutes).toFixed(1)} assets/minute`,
    );

    const byName = new Map(assets.map((a) => [a.name, a]));
    for (const f of files) {
      const name = f.relative.split('/').pop()!;
      const asset = byName.get(name);
      assert.ok(asset, `asset for ${name}`);
      // docs/asset-states.md: audio_undefined never reaches PROCESSED directly — it waits for a human profile.
      assert.equal(
        asset.state,
        f.mediaType === 'AUDIO' ? 'REVIEW_PENDING_PROFILE' : 'DECISION_PENDING',
        name,
      );
      const detail = await sys.get<AssetDetail>(`/assets/${asset.uuid}`);
      assert.deepEqual(
        detail.paths.sidecars_relative ?? [],
        (f.sidecars ?? []).map((s) => `INBOX/${s}`),
        `${name} sidecars`,
      );
      const derived = await sys.get<AssetDerived>(`/assets/${asset.uuid}/derived`);
      const tmp = (suffix: string) => join(sys.root, `${asset.uuid}-${suffix}`);

      if (f.mediaType === 'VIDEO') {
        const preview = await sys.download(derived.preview_video_url!, tmp('preview.mp4'));
        const probe = ffprobeJson(preview);
        const v = probe.streams.find((s) => s.codec_type === 'video')!;
        assert.equal(v.codec_name, 'h264');
        assert.equal(v.profile, 'High');
        assert.equal(v.pix_fmt, 'yuv420p');
        assert.ok(v.height! <= 720, `height ${v.height}`);
        assert.ok(
          topLevelBoxes(preview).indexOf('moov') < topLevelBoxes(preview).indexOf('mdat'),
          'faststart',
        );
        const a = probe.streams.find((s) => s.codec_type === 'audio');
        assert.equal(Boolean(a), Boolean(f.hasAudio), `${name} audio track in proxy`);
        if (a) assert.equal(a.codec_name, 'aac');
        assert.equal(derived.thumbs?.length, 11, 'representative + 10 storyboard thumbs');
        const thumb = await sys.download(derived.thumbs![1]!, tmp('thumb.webp'));
        const meta = await sharp(thumb).metadata();
        assert.equal(meta.format, 'webp');
        assert.equal(meta.width, 480);
        assert.equal(
          Boolean(derived.waveform_url),
          Boolean(f.hasAudio),
          `${name} waveform only with audio`,
        );
      }
      if (f.mediaType === 'AUDIO') {
        const preview = await sys.download(derived.preview_audio_url!, tmp('preview.m4a'));
        const a = ffprobeJson(preview).streams.find((s) => s.codec_type === 'audio')!;
        assert.equal(a.codec_name, 'aac');
      }
      if (f.mediaType !== 'PHOTO') {
        if (f.mediaType === 'AUDIO' || f.hasAudio) {
          const wf = JSON.parse(
            await readFile(await sys.download(derived.waveform_url!, tmp('wf.json')), 'utf8'),
          );
          assert.equal(wf.bucket_count, 1000);
          assert.equal(wf.samples.length, 1000);
          assert.ok(wf.samples.every((s: number) => s >= 0 && s <= 1));
          assert.ok(Math.abs(wf.duration_ms - 3000) < 300, `waveform duration ${wf.duration_ms}`);
        }
      } else {
        const photo = await sys.download(derived.preview_photo_url!, tmp('photo.webp'));
        assert.equal((await sharp(photo).metadata()).format, 'webp');
      }
    }
    // Published derivatives live under .derived/{uuid}/ only.
    const published = await readdir(join(sys.storageRoot, '.derived'));
    assert.ok(published.length >= files.length);
  } finally {
    await sys.stop();
  }
});
