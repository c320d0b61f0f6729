import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessingAbortedError, ProcessingError } from '../processor.js';
import {
  decodePcm,
  listFfmpegEncoders,
  probeMedia,
  resolveFfmpegBinaries,
  runFfmpeg,
} from './ffmpeg.js';

const tmp = mkdtempSync(join(tmpdir(), 'retaia-ffmpeg-test-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** PIDs of live ffmpeg processes whose command line contains `marker`. */
function ffmpegPidsWith(marker: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (cmd.includes(marker) && !/\) Z /.test(stat)) pids.push(Number(d));
    } catch {
      /* process vanished */
    }
  }
  return pids;
}

test('resolveFfmpegBinaries: configured beats env beats PATH; bad configured path is a clear error', () => {
  const fake = join(tmp, 'my-ffmpeg');
  writeFileSync(fake, '#!/bin/sh\nexit 0\n');
  chmodSync(fake, 0o755);
  const saved = { ...process.env };
  try {
    delete process.env.FFMPEG_PATH;
    delete process.env.FFPROBE_PATH;
    const fromPath = resolveFfmpegBinaries();
    assert.equal(fromPath.source, 'path');
    assert.match(fromPath.ffmpeg, /ffmpeg$/);
    assert.match(fromPath.ffprobe, /ffprobe$/);

    process.env.FFMPEG_PATH = fake;
    const fromEnv = resolveFfmpegBinaries();
    assert.equal(fromEnv.source, 'env');
    assert.equal(fromEnv.ffmpeg, fake);

    const configured = resolveFfmpegBinaries({ ffmpegPath: '/usr/bin/ffmpeg', ffprobePath: fake });
    assert.equal(configured.source, 'configured');
    assert.equal(configured.ffprobe, fake);

    assert.throws(
      () => resolveFfmpegBinaries({ ffmpegPath: join(tmp, 'nope') }),
      (e: unknown) =>
        e instanceof ProcessingError && e.retryable && /not an executable/.test(e.message),
    );
    delete process.env.FFMPEG_PATH;
    process.env.PATH = tmp; // nothing called ffmpeg there
    assert.throws(
      () => resolveFfmpegBinaries(),
      (e: unknown) =>
        e instanceof ProcessingError &&
        e.code === 'FFMPEG_UNAVAILABLE' &&
        e.retryable &&
        /Install ffmpeg/.test(e.message),
    );
  } finally {
    process.env = saved;
  }
});

test('runFfmpeg reports progress as percent of durationMs', async () => {
  const seen: number[] = [];
  await runFfmpeg(['-f', 'lavfi', '-i', 'sine=d=3:r=8000', '-f', 'null', '-'], {
    durationMs: 3000,
    onProgress: (p) => p.percent !== undefined && seen.push(p.percent),
  });
  assert.ok(seen.length >= 1);
  assert.equal(seen.at(-1), 100);
});

test('runFfmpeg abort kills ffmpeg promptly and rejects with ProcessingAbortedError', async () => {
  const marker = join(tmp, `abort-${process.pid}.mkv`);
  const ac = new AbortController();
  const started = Date.now();
  const run = runFfmpeg(
    ['-re', '-f', 'lavfi', '-i', 'testsrc=d=600:s=320x240', '-c:v', 'mpeg4', marker],
    {
      signal: ac.signal,
    },
  );
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(ffmpegPidsWith(marker).length, 1, 'ffmpeg should be running before abort');
  ac.abort('lease lost');
  await assert.rejects(run, ProcessingAbortedError);
  assert.ok(Date.now() - started < 5000);
  assert.deepEqual(ffmpegPidsWith(marker), []);
});

test('runFfmpeg failure is a ProcessingError carrying the stderr summary', async () => {
  const bad = join(tmp, 'text.mp4');
  writeFileSync(bad, 'hello, I am not a video\n'.repeat(50));
  await assert.rejects(
    runFfmpeg(['-i', bad, '-f', 'null', '-']),
    (e: unknown) => e instanceof ProcessingError && !e.retryable && /Invalid data/.test(e.message),
  );
});

test('probeMedia types ffprobe JSON; zero-byte and non-media files fail non-retryable', async () => {
  const wav = join(tmp, 'tone.wav');
  await runFfmpeg([
    '-f',
    'lavfi',
    '-i',
    'sine=d=1.5:r=48000',
    '-ac',
    '2',
    '-c:a',
    'pcm_s24le',
    wav,
  ]);
  const p = await probeMedia(wav);
  assert.equal(p.streams[0]?.codec_type, 'audio');
  assert.equal(p.streams[0]?.sample_rate, 48000);
  assert.equal(p.streams[0]?.channels, 2);
  assert.ok(Math.abs((p.format.duration ?? 0) - 1.5) < 0.01);

  const empty = join(tmp, 'empty.mov');
  writeFileSync(empty, '');
  await assert.rejects(
    probeMedia(empty),
    (e: unknown) => e instanceof ProcessingError && e.code === 'MEDIA_EMPTY' && !e.retryable,
  );
  const text = join(tmp, 'notes.mp4');
  writeFileSync(text, 'just text\n');
  await assert.rejects(
    probeMedia(text),
    (e: unknown) => e instanceof ProcessingError && e.code === 'MEDIA_UNREADABLE' && !e.retryable,
  );
});

test('decodePcm streams float samples at the requested rate; early break stops ffmpeg', async () => {
  const src = join(tmp, 'sine.flac');
  await runFfmpeg(['-f', 'lavfi', '-i', 'sine=f=440:d=4:r=44100', '-c:a', 'flac', src]);
  let n = 0;
  let peak = 0;
  for await (const chunk of decodePcm(src, { sampleRate: 8000, channels: 1 })) {
    n += chunk.length;
    for (const v of chunk) peak = Math.max(peak, Math.abs(v));
  }
  assert.ok(Math.abs(n - 32000) < 200, `got ${n} samples`);
  assert.ok(peak > 0.05 && peak <= 1);

  let chunks = 0;
  for await (const _ of decodePcm(src, {
    sampleRate: 8000,
    channels: 2,
    startMs: 1000,
    durationMs: 1000,
  })) {
    chunks++;
    break;
  }
  assert.equal(chunks, 1);
  assert.deepEqual(ffmpegPidsWith(src), []);
});

test('listFfmpegEncoders sees the encoders the previews need', async () => {
  const enc = await listFfmpegEncoders();
  assert.ok(enc.has('libx264') && enc.has('aac'));
});
