import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadContractValidator } from '@retaia/protocol/contract-validator';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import type { FactsPatch, MediaType } from '@retaia/protocol';
import { ProcessingError, type ProcessorContext } from '../processor.js';
import { runFfmpeg } from '../tools/ffmpeg.js';
import { ExtractFactsProcessor } from './extract-facts.js';
import { fixtures } from '../testing/media-fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'retaia-facts-test-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const validator = loadContractValidator();
const processor = new ExtractFactsProcessor();

function ctx(sourcePath: string, mediaType?: MediaType): ProcessorContext {
  return {
    jobId: 'job-1',
    jobType: 'extract_facts',
    assetUuid: 'asset-1',
    ...(mediaType ? { mediaType } : {}),
    sourcePath,
    sidecarPaths: [],
    workDir: tmp,
    signal: new AbortController().signal,
    onProgress: () => {},
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  };
}

async function facts(path: string, mediaType?: MediaType): Promise<FactsPatch> {
  const out = await processor.run(ctx(path, mediaType));
  assert.equal(out.type, 'facts');
  if (out.type !== 'facts') throw new Error('unreachable');
  assert.deepEqual(validator.schemaErrors('FactsPatch', out.factsPatch), []);
  return out.factsPatch;
}

function sample(rel: string): { path?: string; skip?: string } {
  const s = sharedMedia(rel);
  return s.path ? { path: s.path } : { skip: s.skipReason ?? 'missing' };
}

const h264 = sample('video/sample-h264.mp4');
test(
  'Resolve H.264 export: AV facts, timecode from the tmcd track, creation time',
  { skip: h264.skip },
  async () => {
    const f = await facts(h264.path!, 'VIDEO');
    assert.equal(f.media_format, 'mp4');
    assert.equal(f.video_codec, 'h264');
    assert.equal(f.audio_codec, 'aac');
    assert.equal(f.width, 1920);
    assert.equal(f.height, 1080);
    assert.equal(f.fps, 25);
    assert.equal(f.duration_ms, 10000);
    assert.equal(f.sample_rate_hz, 48000);
    assert.equal(f.channel_count, 2);
    assert.equal(f.timecode_start, '01:00:00:00');
    assert.equal(f.captured_at, '2026-02-24T15:25:36Z');
    assert.equal(f.pixel_format, 'yuv420p');
    assert.equal(f.color_primaries, 'bt709');
    assert.ok(f.bitrate_kbps! > 100);
  },
);

const h265 = sample('video/sample-h265.mp4');
test('10-bit HEVC: codec and pixel format', { skip: h265.skip }, async () => {
  const f = await facts(h265.path!);
  assert.equal(f.video_codec, 'hevc');
  assert.equal(f.pixel_format, 'yuv420p10le');
});

const mp3 = sample('audio/sample1.mp3');
test('MP3: audio minimum facts', { skip: mp3.skip }, async () => {
  const f = await facts(mp3.path!, 'AUDIO');
  assert.equal(f.media_format, 'mp3');
  assert.equal(f.audio_codec, 'mp3');
  assert.ok(Math.abs(f.duration_ms! - 122_000) < 500);
  assert.equal(f.sample_rate_hz, 44100);
  assert.equal(f.video_codec, undefined);
});

const rode = sample('audio/sample_Wireless_PRO.WAV');
test('RODE Wireless PRO float WAV: 32-bit float mono 48 kHz', { skip: rode.skip }, async () => {
  const f = await facts(rode.path!);
  assert.equal(f.audio_codec, 'pcm_f32le');
  assert.equal(f.bits_per_sample, 32);
  assert.equal(f.channel_count, 1);
  assert.equal(f.sample_rate_hz, 48000);
  assert.equal(f.duration_ms, 10401);
  // This sample carries no bext/iXML chunk (only fmt, cue, PAD, data), so no recorder facts.
  assert.equal(f.recorder_model, undefined);
});

test('broadcast WAV: bext originator/date and iXML recorder model become facts', async () => {
  const bwf = join(tmp, 'bext.wav');
  await runFfmpeg([
    '-f',
    'lavfi',
    '-i',
    'sine=d=1:r=48000',
    '-c:a',
    'pcm_s24le',
    '-write_bext',
    '1',
    '-metadata',
    'originator=ZOOM F8n',
    '-metadata',
    'origination_date=2024-05-17',
    '-metadata',
    'origination_time=14:03:22',
    bwf,
  ]);
  const f = await facts(bwf, 'AUDIO');
  assert.equal(f.recorder_model, 'ZOOM F8n');
  assert.equal(f.captured_at, '2024-05-17T14:03:22Z');
  assert.equal(f.bits_per_sample, 24);

  // Append an iXML chunk to a plain WAV (no bext): recorder model and date come from it.
  const plain = join(tmp, 'ixml.wav');
  await runFfmpeg(['-f', 'lavfi', '-i', 'sine=d=1:r=48000', '-c:a', 'pcm_s16le', plain]);
  const xml = Buffer.from(
    '<?xml version="1.0"?><BWFXML><BEXT><BWF_ORIGINATOR>Sound Devices 833</BWF_ORIGINATOR>' +
      '<BWF_ORIGINATION_DATE>2023-01-02</BWF_ORIGINATION_DATE><BWF_ORIGINATION_TIME>08:09:10</BWF_ORIGINATION_TIME></BEXT></BWFXML>',
  );
  const wav = readFileSync(plain);
  const chunk = Buffer.alloc(8 + xml.length + (xml.length & 1));
  chunk.write('iXML', 0, 'latin1');
  chunk.writeUInt32LE(xml.length, 4);
  xml.copy(chunk, 8);
  const out = Buffer.concat([wav, chunk]);
  out.writeUInt32LE(out.length - 8, 4);
  writeFileSync(plain, out);
  const g = await facts(plain, 'AUDIO');
  assert.equal(g.recorder_model, 'Sound Devices 833');
  assert.equal(g.captured_at, '2023-01-02T08:09:10Z');
});

const nikon = sample('photo/gps-DSCN0010.jpg');
test('Nikon JPEG: GPS, camera, capture time', { skip: nikon.skip }, async () => {
  const f = await facts(nikon.path!, 'PHOTO');
  assert.equal(f.media_format, 'jpeg');
  assert.equal(f.width, 640);
  assert.equal(f.height, 480);
  assert.equal(f.camera_make, 'NIKON');
  assert.equal(f.camera_model, 'COOLPIX P6000');
  assert.ok(Math.abs(f.gps_latitude! - 43.467448) < 1e-5);
  assert.ok(Math.abs(f.gps_longitude! - 11.885127) < 1e-5);
  assert.equal(f.captured_at, '2008-10-22T16:28:39Z');
});

const canon = sample('photo/Canon_40D.jpg');
test('Canon 40D: exposure, aperture, ISO, focal length', { skip: canon.skip }, async () => {
  const f = await facts(canon.path!);
  assert.equal(f.exposure_time_s, 0.00625);
  assert.equal(f.aperture_f_number, 7.1);
  assert.equal(f.iso, 100);
  assert.equal(f.focal_length_mm, 135);
  assert.equal(f.camera_model, 'Canon EOS 40D');
});

const rotated = sample('photo/orientation-landscape_6.jpg');
test(
  'EXIF orientation is reported with the stored dimensions',
  { skip: rotated.skip },
  async () => {
    const f = await facts(rotated.path!);
    assert.equal(f.orientation, 6);
    assert.equal(f.width, 450);
    assert.equal(f.height, 600);
  },
);

test('generated edge cases: rotated phone video, no audio, audio-only MP4, 5.1, VFR', async () => {
  const p = await facts(await fixtures.portraitPhone(tmp));
  assert.equal(p.rotation_deg, 90);
  assert.equal(p.width, 640);
  assert.equal(p.fps, 30);
  assert.equal(p.audio_codec, 'aac');

  const silent = await facts(await fixtures.noAudio(tmp));
  assert.equal(silent.audio_codec, undefined);
  assert.equal(silent.video_codec, 'h264');

  const a = await facts(await fixtures.audioOnlyMp4(tmp));
  assert.equal(a.audio_codec, 'aac');
  assert.equal(a.width, undefined);

  assert.equal((await facts(await fixtures.surround51(tmp))).channel_count, 6);
  const vfr = await facts(await fixtures.vfr(tmp));
  assert.equal(vfr.media_format, 'mp4');
  assert.ok(vfr.fps! > 0);
});

test('zero-byte, truncated and mislabelled files fail non-retryable with a useful message', async () => {
  const empty = join(tmp, 'empty.mp4');
  writeFileSync(empty, '');
  const text = join(tmp, 'notes.mp4');
  writeFileSync(text, 'this is a text file\n'.repeat(100));
  const good = join(tmp, 'good.mp4');
  await runFfmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=d=2:s=320x180',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    good,
  ]);
  const truncated = join(tmp, 'truncated.mp4');
  const bytes = readFileSync(good);
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const fakeJpeg = join(tmp, 'fake.jpg');
  writeFileSync(fakeJpeg, 'not a jpeg');
  for (const [path, code] of [
    [empty, 'MEDIA_EMPTY'],
    [text, 'MEDIA_UNREADABLE'],
    [truncated, 'MEDIA_UNREADABLE'],
    [fakeJpeg, 'IMAGE_UNREADABLE'],
  ] as const) {
    await assert.rejects(processor.run(ctx(path)), (e: unknown) => {
      assert.ok(e instanceof ProcessingError, String(e));
      assert.equal(e.code, code, `${path}: ${e.message}`);
      assert.equal(e.retryable, false);
      assert.ok(e.message.includes(basename(path)), e.message);
      return true;
    });
  }
});

const corruptJpeg = sample('photo/corrupted.jpg');
test(
  'truncated JPEG whose header claims 3648×2736 fails IMAGE_UNREADABLE, non-retryable',
  { skip: corruptJpeg.skip },
  async () => {
    await assert.rejects(processor.run(ctx(corruptJpeg.path!, 'PHOTO')), (e: unknown) => {
      assert.ok(e instanceof ProcessingError, String(e));
      assert.equal(e.code, 'IMAGE_UNREADABLE', e.message);
      assert.equal(e.retryable, false);
      assert.match(e.message, /^Corrupt JPEG: corrupted\.jpg is damaged or cut short \(.+\)\./);
      assert.ok(!e.message.includes(corruptJpeg.path!), 'no path of this machine in the message');
      return true;
    });
  },
);

test('ffmpeg missing is a retryable failure', async () => {
  const p = new ExtractFactsProcessor({ ffmpegPath: join(tmp, 'no-ffmpeg') });
  const wav = join(tmp, 'x.wav');
  await runFfmpeg(['-f', 'lavfi', '-i', 'sine=d=0.5', wav]);
  await assert.rejects(
    p.run(ctx(wav)),
    (e: unknown) => e instanceof ProcessingError && e.retryable && e.code === 'FFMPEG_UNAVAILABLE',
  );
});
