import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import { ProcessingAbortedError, ProcessingError } from '../processor.js';
import { fixtures } from '../testing/media-fixtures.js';
import { testContext } from '../testing/conformance.js';
import { runFfmpeg } from '../tools/ffmpeg.js';
import { GenerateWaveformProcessor } from './generate-waveform.js';

const root = mkdtempSync(join(tmpdir(), 'retaia-waveform-test-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const processor = new GenerateWaveformProcessor();
let n = 0;

interface Waveform {
  duration_ms: number;
  bucket_count: number;
  samples: number[];
}

async function waveform(source: string, signal?: AbortSignal): Promise<Waveform> {
  const workDir = join(root, `job-${n++}`);
  mkdirSync(workDir);
  const ctx = testContext(source, workDir, {
    jobType: 'generate_audio_waveform',
    ...(signal ? { signal } : {}),
  });
  const out = await processor.run(ctx);
  assert.equal(out.type, 'derived');
  if (out.type !== 'derived') throw new Error('unreachable');
  assert.equal(out.files.length, 1);
  assert.equal(out.files[0]!.kind, 'waveform');
  assert.equal(out.files[0]!.contentType, 'application/json');
  const w = JSON.parse(readFileSync(out.files[0]!.path, 'utf8')) as Waveform;
  assert.deepEqual(Object.keys(w).sort(), ['bucket_count', 'duration_ms', 'samples']);
  assert.equal(w.bucket_count, 1000);
  assert.equal(w.samples.length, 1000);
  assert.ok(w.samples.every((s) => s >= 0 && s <= 1));
  return w;
}

const mp3 = sharedMedia('audio/sample1.mp3');
test('MP3 sample: 1000 peak buckets over 122 s', { skip: mp3.skipReason }, async () => {
  const w = await waveform(mp3.path!);
  assert.ok(Math.abs(w.duration_ms - 122_122) < 200);
  assert.ok(Math.max(...w.samples) > 0.3);
  assert.ok(w.samples.filter((s) => s > 0.01).length > 900, 'music all along');
});

const h264 = sharedMedia('video/sample-h264.mp4');
test('video with audio: waveform of its first audio track', { skip: h264.skipReason }, async () => {
  const w = await waveform(h264.path!);
  assert.equal(w.duration_ms, 10_000);
});

test('regular buckets: silence then a full-scale tone switches at the right bucket', async () => {
  const src = join(root, 'half.wav');
  await runFfmpeg([
    '-f',
    'lavfi',
    '-i',
    'anullsrc=r=48000:cl=mono:d=2',
    '-f',
    'lavfi',
    '-i',
    'sine=f=200:r=48000:d=2,volume=7.6',
    '-filter_complex',
    '[0][1]concat=n=2:v=0:a=1[a]',
    '-map',
    '[a]',
    '-c:a',
    'pcm_f32le',
    src,
  ]);
  const w = await waveform(src);
  assert.equal(w.duration_ms, 4000);
  assert.ok(w.samples.slice(0, 495).every((s) => s === 0));
  assert.ok(
    w.samples.slice(505).every((s) => s > 0.9),
    'tone buckets near full scale',
  );
});

test('1-hour audio: whole duration covered', async () => {
  const src = await fixtures.hourAudio(root);
  const w = await waveform(src);
  assert.equal(w.duration_ms, 3_600_000);
  // lavfi's sine has amplitude 1/8.
  assert.ok(
    w.samples.every((s) => s > 0.1 && s < 0.14),
    'tone present in every bucket, including the last',
  );
});

test('no audio stream → non-retryable; abort stops the decode', async () => {
  await assert.rejects(
    waveform(await fixtures.noAudio(root)),
    (e: unknown) =>
      e instanceof ProcessingError && !e.retryable && e.code === 'NO_DECODABLE_STREAM',
  );
  const src = await fixtures.hourAudio(root);
  const ac = new AbortController();
  setTimeout(() => ac.abort('shutdown'), 150);
  await assert.rejects(waveform(src, ac.signal), ProcessingAbortedError);
  const alive = readdirSync('/proc').filter((d) => {
    try {
      return (
        /^\d+$/.test(d) &&
        readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(src) &&
        !/\) Z /.test(readFileSync(`/proc/${d}/stat`, 'utf8'))
      );
    } catch {
      return false;
    }
  });
  assert.deepEqual(alive, []);
});
