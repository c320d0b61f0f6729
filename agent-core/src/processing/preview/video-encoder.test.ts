// Hardware encoder detection and fallback, against the real ffmpeg of this machine. This machine
// has no GPU: its ffmpeg lists NVENC, QSV and VAAPI, and every one of them must fail its trial and
// leave libx264 in charge; where a GPU exists the same tests check that a winner really encodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffprobeJson, testContext } from '../testing/conformance.js';
import { fixtures } from '../testing/media-fixtures.js';
import { listFfmpegEncoders, resolveFfmpegBinaries } from '../tools/ffmpeg.js';
import { agentConfigSchema } from '../../config/config-schema.js';
import { GeneratePreviewProcessor } from './generate-preview.js';
import {
  detectVideoEncoder,
  encoderArgs,
  hardwareCandidates,
  trialEncode,
  VideoEncoderSelector,
  type VideoEncoderName,
} from './video-encoder.js';

const root = mkdtempSync(join(tmpdir(), 'retaia-encoder-test-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const binaries = resolveFfmpegBinaries();
// A VAAPI device that cannot exist: the encoder is listed but must fail at init, on any machine.
process.env.RETAIA_VAAPI_DEVICE = join(root, 'no-such-renderD128');

test('every encoder gets H.264 High with its own rate control', () => {
  const all: VideoEncoderName[] = [
    'libx264',
    'h264_videotoolbox',
    'h264_nvenc',
    'h264_qsv',
    'h264_vaapi',
    'h264_amf',
  ];
  for (const enc of all) {
    const a = encoderArgs(enc, { crf: 23, x264Preset: 'veryfast' });
    assert.deepEqual(a.codecArgs.slice(0, 4), ['-c:v', enc, '-profile:v', 'high'], enc);
  }
  assert.deepEqual(encoderArgs('h264_vaapi', { crf: 23, x264Preset: 'x' }).filterTail, [
    'format=nv12',
    'hwupload',
  ]);
  assert.deepEqual(hardwareCandidates('darwin'), ['h264_videotoolbox']);
  assert.ok(hardwareCandidates('win32').includes('h264_amf'));
  assert.ok(!hardwareCandidates('linux').includes('h264_amf'));
});

test('an encoder listed by ffmpeg but failing at init fails its trial with a reason', async (t) => {
  const listed = await listFfmpegEncoders({ binaries });
  if (!listed.has('h264_vaapi')) {
    t.skip('this ffmpeg build does not list h264_vaapi, so "listed but failing" cannot be staged');
    return;
  }
  const trial = await trialEncode('h264_vaapi', binaries);
  assert.equal(trial.ok, false);
  assert.ok(trial.detail.length > 0, 'the failure says why');
  const choice = await detectVideoEncoder({ binaries, candidates: ['h264_vaapi'] });
  assert.equal(choice.encoder, 'libx264');
  assert.equal(choice.hardware, false);
  assert.match(choice.reason, /h264_vaapi/);
  assert.equal(choice.trials.length, 1);
});

test('detection on this machine: a winner passed its trial, otherwise every listed candidate failed', async () => {
  const listed = await listFfmpegEncoders({ binaries });
  const choice = await detectVideoEncoder({ binaries });
  const tried = hardwareCandidates(process.platform).filter((e) => listed.has(e));
  if (choice.hardware) {
    assert.ok(choice.trials.at(-1)?.ok, 'the chosen hardware encoder passed a real trial encode');
  } else {
    assert.equal(choice.encoder, 'libx264');
    assert.deepEqual(
      choice.trials.map((t) => t.encoder),
      tried,
      'each listed candidate was tried',
    );
    assert.ok(choice.trials.every((t) => !t.ok && t.detail));
  }
  const software = await detectVideoEncoder({ binaries, mode: 'software' });
  assert.equal(software.encoder, 'libx264');
  assert.deepEqual(software.trials, [], 'forcing software runs no trial');
});

test('the choice is cached per ffmpeg binary and redone when the binary changes', async () => {
  const dir = join(root, 'cache');
  mkdirSync(dir);
  const ffmpegCopy = join(dir, 'ffmpeg');
  copyFileSync(binaries.ffmpeg, ffmpegCopy);
  const bins = { ...binaries, ffmpeg: ffmpegCopy };
  const cacheFile = join(dir, 'encoder.json');
  const first = await detectVideoEncoder({ binaries: bins, candidates: ['h264_vaapi'], cacheFile });
  const cached = JSON.parse(readFileSync(cacheFile, 'utf8'));
  cached.choice.reason = 'from the cache';
  writeFileSync(cacheFile, JSON.stringify(cached));
  const second = await detectVideoEncoder({
    binaries: bins,
    candidates: ['h264_vaapi'],
    cacheFile,
  });
  assert.equal(second.reason, 'from the cache', 'an unchanged ffmpeg reuses the cached answer');
  const later = new Date(Date.now() + 60_000);
  utimesSync(ffmpegCopy, later, later);
  const third = await detectVideoEncoder({ binaries: bins, candidates: ['h264_vaapi'], cacheFile });
  assert.equal(third.reason, first.reason, 'a changed ffmpeg is detected again');
});

test('a hardware encode that fails for real falls back to libx264 and stays there', async () => {
  const clip = await fixtures.noAudio(root);
  const selector = new VideoEncoderSelector(async () => ({
    encoder: 'h264_vaapi',
    hardware: true,
    reason: 'pretend it passed its trial',
    trials: [],
  }));
  const processor = new GeneratePreviewProcessor({
    encoderSelector: selector,
    x264Preset: 'ultrafast',
  });
  const workDir = join(root, 'fallback');
  mkdirSync(workDir);
  const out = await processor.run(testContext(clip, workDir, { mediaType: 'VIDEO' }));
  assert.equal(out.type, 'derived');
  if (out.type !== 'derived') return;
  assert.equal(out.metrics?.encoder, 'libx264');
  assert.ok(
    out.warnings?.some((w) => /h264_vaapi failed on a real encode/.test(w)),
    String(out.warnings),
  );
  const v = ffprobeJson(out.files[0]!.path).streams.find((s) => s.codec_type === 'video');
  assert.equal(v?.codec_name, 'h264');
  assert.equal(
    (await processor.videoEncoder()).encoder,
    'libx264',
    'later jobs go straight to libx264',
  );
});

test('the video_encoder setting forces libx264 and is read at each call', async () => {
  const settings = { videoEncoder: 'software' as 'software' | 'auto' };
  const processor = new GeneratePreviewProcessor(
    Object.defineProperty({}, 'videoEncoder', {
      enumerable: true,
      get: () => settings.videoEncoder,
    }),
  );
  const forced = await processor.videoEncoder();
  assert.equal(forced.encoder, 'libx264');
  assert.match(forced.reason, /chosen in settings/);
  settings.videoEncoder = 'auto';
  const detected = await processor.videoEncoder();
  assert.doesNotMatch(detected.reason, /chosen in settings/, 'back to detection');
  const parsed = agentConfigSchema.safeParse({ video_encoder: 'gpu' });
  assert.equal(parsed.success, false);
  assert.match(parsed.error?.issues[0]?.message ?? '', /video_encoder must be "auto"/);
  assert.equal(agentConfigSchema.parse({}).video_encoder, 'auto');
});
