import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
  readFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import type { MediaType } from '@retaia/protocol';
import { ProcessingAbortedError, ProcessingError } from '../processor.js';
import { fixtures } from '../testing/media-fixtures.js';
import { ffprobeJson, keyframeTimes, testContext, topLevelBoxes } from '../testing/conformance.js';
import { runFfmpeg } from '../tools/ffmpeg.js';
import { GeneratePreviewProcessor } from './generate-preview.js';

const root = mkdtempSync(join(tmpdir(), 'retaia-preview-test-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const processor = new GeneratePreviewProcessor();
let n = 0;

async function preview(source: string, mediaType?: MediaType) {
  const workDir = join(root, `job-${n++}`);
  mkdirSync(workDir);
  const ctx = testContext(source, workDir, mediaType ? { mediaType } : {});
  const out = await processor.run(ctx);
  assert.equal(out.type, 'derived');
  if (out.type !== 'derived') throw new Error('unreachable');
  assert.equal(out.files.length, 1);
  const file = out.files[0]!;
  assert.ok(file.path.startsWith(workDir));
  return { file, progress: ctx.progress, workDir };
}

/** docs/protocol.md#job-types-and-outputs preview_video conformance, checked with ffprobe. */
function assertVideoPreview(
  path: string,
  expect: { width: number; height: number; fps: number; audio: boolean; channels?: number },
) {
  const p = ffprobeJson(path);
  const v = p.streams.filter((s) => s.codec_type === 'video');
  const a = p.streams.filter((s) => s.codec_type === 'audio');
  assert.equal(v.length, 1, 'exactly one video stream');
  assert.equal(p.streams.length, expect.audio ? 2 : 1, 'no data/subtitle streams');
  assert.match(p.format.format_name, /mp4/);
  assert.equal(v[0]!.codec_name, 'h264');
  assert.equal(v[0]!.profile, 'High');
  assert.equal(v[0]!.pix_fmt, 'yuv420p');
  assert.ok(!v[0]!.field_order || v[0]!.field_order === 'progressive');
  assert.ok(
    v[0]!.sample_aspect_ratio === undefined ||
      v[0]!.sample_aspect_ratio === '1:1' ||
      v[0]!.sample_aspect_ratio === '0:1',
  );
  assert.equal(v[0]!.width, expect.width);
  assert.equal(v[0]!.height, expect.height);
  const [num, den] = v[0]!.r_frame_rate!.split('/').map(Number);
  assert.ok(Math.abs(num! / den! - expect.fps) < 0.01, `fps ${v[0]!.r_frame_rate}`);
  assert.equal(v[0]!.avg_frame_rate, v[0]!.r_frame_rate, 'constant frame rate');
  const boxes = topLevelBoxes(path);
  assert.ok(boxes.indexOf('moov') < boxes.indexOf('mdat'), `faststart: ${boxes.join(',')}`);
  const kf = keyframeTimes(path);
  const dur = Number(p.format.duration);
  for (let i = 1; i <= kf.length; i++) {
    const gap = (kf[i] ?? dur) - kf[i - 1]!;
    assert.ok(gap <= 2.05, `keyframe gap ${gap}s`);
  }
  if (expect.audio) {
    assert.equal(a.length, 1);
    assert.equal(a[0]!.codec_name, 'aac');
    assert.equal(a[0]!.profile, 'LC');
    assert.ok(['44100', '48000'].includes(a[0]!.sample_rate!));
    assert.equal(a[0]!.channels, expect.channels ?? 2);
    assert.ok(Number(a[0]!.bit_rate) <= 165_000, `audio bitrate ${a[0]!.bit_rate}`);
  }
}

const h264 = sharedMedia('video/sample-h264.mp4');
test(
  'Resolve H.264 1080p with timecode track → 1280×720 H.264 High, AAC stereo, faststart',
  { skip: h264.skipReason },
  async () => {
    const { file, progress } = await preview(h264.path!, 'VIDEO');
    assert.equal(file.kind, 'preview_video');
    assert.equal(file.contentType, 'video/mp4');
    assertVideoPreview(file.path, { width: 1280, height: 720, fps: 25, audio: true });
    assert.ok(progress.length >= 2 && progress.at(-1) === 100, `progress ${progress}`);
    // x264 writes its settings into the stream: veryfast (one reference, 10-frame lookahead)
    // with subme=1, the speed/quality point measured in docs/media-engine.md.
    const settings = /x264 - core [^\0]*?options: ([^\0]+)/.exec(
      readFileSync(file.path).toString('latin1'),
    )?.[1];
    assert.ok(settings, 'x264 settings SEI present');
    for (const opt of ['subme=1', 'ref=1', 'rc_lookahead=10', 'crf=23.0'])
      assert.ok(settings.split(' ').includes(opt), `${opt} in ${settings}`);
  },
);

const h265 = sharedMedia('video/sample-h265.mp4');
test('10-bit HEVC → 8-bit yuv420p H.264 High', { skip: h265.skipReason }, async () => {
  const { file } = await preview(h265.path!);
  assertVideoPreview(file.path, { width: 1280, height: 720, fps: 25, audio: true });
});

test('generated video edge cases', async (t) => {
  await t.test('portrait phone clip: display rotation applied', async () => {
    const { file } = await preview(await fixtures.portraitPhone(root));
    assertVideoPreview(file.path, { width: 360, height: 640, fps: 30, audio: true, channels: 1 });
  });
  await t.test('VFR (avg 17 fps on a 30 fps base) → 30 fps CFR', async () => {
    const src = await fixtures.vfr(root);
    const s = ffprobeJson(src).streams[0]!;
    assert.notEqual(s.avg_frame_rate, s.r_frame_rate, 'fixture really is VFR');
    const { file } = await preview(src);
    assertVideoPreview(file.path, { width: 320, height: 240, fps: 30, audio: false });
  });
  await t.test('4K → 1280×720', async () => {
    const { file } = await preview(await fixtures.uhd(root));
    assertVideoPreview(file.path, { width: 1280, height: 720, fps: 25, audio: true, channels: 1 });
  });
  await t.test('no audio', async () => {
    const { file } = await preview(await fixtures.noAudio(root));
    assertVideoPreview(file.path, { width: 320, height: 240, fps: 25, audio: false });
  });
  await t.test('1-second clip, small source never upscaled', async () => {
    const { file } = await preview(await fixtures.oneSecond(root));
    assertVideoPreview(file.path, { width: 320, height: 240, fps: 24, audio: true, channels: 1 });
  });
  await t.test('anamorphic 720×576 16:11 → square pixels 1048×576', async () => {
    const { file } = await preview(await fixtures.anamorphic(root));
    assertVideoPreview(file.path, { width: 1048, height: 576, fps: 25, audio: false });
  });
  await t.test('multi-track: only the first video and first audio', async () => {
    const { file } = await preview(await fixtures.multiTrack(root));
    assertVideoPreview(file.path, { width: 320, height: 240, fps: 25, audio: true, channels: 1 });
  });
});

function assertAudioPreview(path: string, channels: number) {
  const p = ffprobeJson(path);
  assert.equal(p.streams.length, 1);
  const a = p.streams[0]!;
  assert.equal(a.codec_name, 'aac');
  assert.equal(a.profile, 'LC');
  assert.equal(a.channels, channels);
  assert.ok(['44100', '48000'].includes(a.sample_rate!));
  const kbps = Number(a.bit_rate) / 1000;
  assert.ok(kbps >= 80 && kbps <= 165, `bitrate ${kbps}`);
  assert.match(p.format.format_name, /mp4|m4a|mov/);
  const boxes = topLevelBoxes(path);
  assert.ok(boxes.indexOf('moov') < boxes.indexOf('mdat'));
}

test('audio previews: M4A AAC-LC, mono stays mono, 5.1 downmixed', async (t) => {
  const mp3 = sharedMedia('audio/sample1.mp3');
  await t.test('MP3 stereo', { skip: mp3.skipReason }, async () => {
    const { file } = await preview(mp3.path!, 'AUDIO');
    assert.equal(file.kind, 'preview_audio');
    assert.equal(file.contentType, 'audio/mp4');
    assertAudioPreview(file.path, 2);
  });
  const rode = sharedMedia('audio/sample_Wireless_PRO.WAV');
  await t.test('32-bit float mono WAV', { skip: rode.skipReason }, async () => {
    assertAudioPreview((await preview(rode.path!)).file.path, 1);
  });
  await t.test('5.1 FLAC', async () =>
    assertAudioPreview((await preview(await fixtures.surround51(root))).file.path, 2),
  );
  await t.test('24-bit WAV', async () =>
    assertAudioPreview((await preview(await fixtures.wav24(root))).file.path, 2),
  );
  await t.test('AAC in MP4 without video', async () =>
    assertAudioPreview((await preview(await fixtures.audioOnlyMp4(root))).file.path, 1),
  );
});

async function assertWebp(path: string, width: number, height: number) {
  const m = await sharp(path).metadata();
  assert.equal(m.format, 'webp');
  assert.equal(m.width, width);
  assert.equal(m.height, height);
  assert.ok(!m.orientation || m.orientation === 1);
  assert.ok(m.space === 'srgb');
}

test('photo previews: WebP sRGB, orientation applied, never upscaled, long edge ≤ 2048', async (t) => {
  const rot = sharedMedia('photo/orientation-landscape_6.jpg');
  await t.test('EXIF orientation 6 comes out upright', { skip: rot.skipReason }, async () => {
    const { file } = await preview(rot.path!, 'PHOTO');
    assert.equal(file.kind, 'preview_photo');
    assert.equal(file.contentType, 'image/webp');
    await assertWebp(file.path, 600, 450);
  });
  const nikon = sharedMedia('photo/gps-DSCN0010.jpg');
  await t.test('small JPEG not upscaled', { skip: nikon.skipReason }, async () => {
    await assertWebp((await preview(nikon.path!)).file.path, 640, 480);
  });
  const canon = sharedMedia('photo/Canon_40D.jpg');
  await t.test('tiny Canon JPEG', { skip: canon.skipReason }, async () => {
    await assertWebp((await preview(canon.path!)).file.path, 100, 68);
  });
  await t.test('PNG with alpha keeps alpha', async () => {
    const png = join(root, 'alpha.png');
    await sharp({
      create: {
        width: 300,
        height: 200,
        channels: 4,
        background: { r: 255, g: 0, b: 0, alpha: 0.5 },
      },
    })
      .png()
      .toFile(png);
    const { file } = await preview(png);
    await assertWebp(file.path, 300, 200);
    assert.ok((await sharp(file.path).metadata()).hasAlpha);
  });
  await t.test('16-bit TIFF, large → long edge 2048', async () => {
    const tif = join(root, 'deep.tiff');
    await runFfmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=3000x1500',
      '-frames:v',
      '1',
      '-pix_fmt',
      'rgb48le',
      tif,
    ]);
    assert.equal((await sharp(tif).metadata()).depth, 'ushort');
    await assertWebp((await preview(tif)).file.path, 2048, 1024);
  });
  await t.test('WebP source', async () => {
    const src = join(root, 'src.webp');
    await sharp({ create: { width: 500, height: 400, channels: 3, background: '#000' } })
      .webp()
      .toFile(src);
    await assertWebp((await preview(src)).file.path, 500, 400);
  });
  await t.test('camera RAW via its embedded JPEG preview', async () => {
    // A TIFF-like container with an embedded 1600×1067 JPEG after some non-JPEG data.
    const jpeg = await sharp({
      create: { width: 1600, height: 1067, channels: 3, background: '#884422' },
    })
      .jpeg()
      .toBuffer();
    const thumb = await sharp({
      create: { width: 160, height: 106, channels: 3, background: '#000' },
    })
      .jpeg()
      .toBuffer();
    const raw = join(root, 'IMG_0001.CR2');
    writeFileSync(
      raw,
      Buffer.concat([
        Buffer.from('II*\0'),
        Buffer.alloc(5000, 7),
        thumb,
        Buffer.alloc(3000, 1),
        jpeg,
        Buffer.alloc(1000, 9),
      ]),
    );
    await assertWebp((await preview(raw, 'PHOTO')).file.path, 1600, 1067);
  });
  const corrupted = sharedMedia('photo/corrupted.jpg');
  await t.test(
    'corrupt JPEG fails non-retryable, quickly',
    { skip: corrupted.skipReason },
    async () => {
      const started = Date.now();
      await assert.rejects(
        preview(corrupted.path!, 'PHOTO'),
        (e: unknown) =>
          e instanceof ProcessingError && !e.retryable && e.code === 'IMAGE_UNREADABLE',
      );
      assert.ok(Date.now() - started < 20_000);
    },
  );
  const heifEnc = ['/usr/bin/heif-enc', '/usr/local/bin/heif-enc'].find((p) => existsSync(p));
  await t.test(
    'HEIC (iPhone) decoded through libheif WASM',
    {
      skip: heifEnc
        ? false
        : 'heif-enc (apt libheif-examples) not installed: cannot make a HEIC fixture',
    },
    async () => {
      const png = join(root, 'heic-src.png');
      await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=1200x800', '-frames:v', '1', png]);
      const heic = join(root, 'IMG_0001.HEIC');
      execFileSync(heifEnc!, ['-q', '50', '-o', heic, png]);
      await assertWebp((await preview(heic, 'PHOTO')).file.path, 1200, 800);
    },
  );
  await t.test('broken HEIC fails non-retryable with a clear message', async () => {
    const heic = join(root, 'broken.HEIC');
    writeFileSync(
      heic,
      Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(200)]),
    );
    await assert.rejects(
      preview(heic, 'PHOTO'),
      (e: unknown) => e instanceof ProcessingError && !e.retryable && /HEIC/.test(e.message),
    );
  });
});

test('zero-byte, truncated and mislabelled inputs fail non-retryable', async () => {
  const empty = join(root, 'empty.mp4');
  writeFileSync(empty, '');
  const text = join(root, 'text.mov');
  writeFileSync(text, 'not a movie\n'.repeat(100));
  const good = await fixtures.noAudio(root);
  const truncated = join(root, 'cut.mp4');
  writeFileSync(truncated, readFileSync(good).subarray(0, 3000));
  for (const p of [empty, text, truncated]) {
    await assert.rejects(
      preview(p),
      (e: unknown) => e instanceof ProcessingError && !e.retryable,
      p,
    );
  }
});

test('abort kills ffmpeg promptly and leaves nothing behind but the work dir', async () => {
  const long = join(root, 'long.mp4');
  await runFfmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=d=30:s=1280x720:r=25',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-crf',
    '40',
    long,
  ]);
  const workDir = join(root, 'abort-job');
  mkdirSync(workDir);
  const ac = new AbortController();
  const ctx = testContext(long, workDir, { signal: ac.signal });
  const run = processor.run(ctx);
  setTimeout(() => ac.abort('lease lost'), 800);
  const t0 = Date.now();
  await assert.rejects(run, ProcessingAbortedError);
  assert.ok(Date.now() - t0 < 3000);
  const procs = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return (
          readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(workDir) &&
          !/\) Z /.test(readFileSync(`/proc/${d}/stat`, 'utf8'))
        );
      } catch {
        return false;
      }
    });
  assert.deepEqual(procs, []);
  // Only the work dir may hold partial output (the runner deletes it); nothing in the temp root.
  assert.ok(readdirSync(workDir).every((f) => f.startsWith('preview')));
});
