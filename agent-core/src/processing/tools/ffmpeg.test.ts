import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessingAbortedError, ProcessingError } from '../processor.js';
import {
  decodePcm,
  describeFfmpeg,
  formatFfmpegInfo,
  listFfmpegEncoders,
  probeMedia,
  resolveFfmpegBinaries,
  runFfmpeg,
} from './ffmpeg.js';
import { packageBinary } from './ffmpeg-binaries.js';

const tmp = mkdtempSync(join(tmpdir(), 'retaia-ffmpeg-test-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** The file a process holds as descriptor 3 (how the agent hands ffmpeg its source). */
function sourceFdOf(pid: string): string {
  try {
    return readlinkSync(`/proc/${pid}/fd/3`);
  } catch {
    return '';
  }
}

/** PIDs of live processes whose command line contains `marker`, or that read it as their source. */
function ffmpegPidsWith(marker: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const matches = cmd.includes(marker) || sourceFdOf(d) === marker;
      if (matches && !/\) Z /.test(stat)) pids.push(Number(d));
    } catch {
      /* process vanished */
    }
  }
  return pids;
}

test('resolveFfmpegBinaries: configured > env > ffmpeg-static > PATH > bundled; a bad explicit path is a clear error', () => {
  const exe = (name: string) => {
    const p = join(tmp, name);
    writeFileSync(p, '#!/bin/sh\nexit 0\n');
    chmodSync(p, 0o755);
    return p;
  };
  const [cfg, envFf, envProbe, legacy, stat, onPath, bundledFf, bundledProbe] = [
    'cfg-ffmpeg',
    'env-ffmpeg',
    'env-ffprobe',
    'legacy-ffmpeg',
    'static-ffmpeg',
    'path-tool',
    'bundled-ffmpeg',
    'bundled-ffprobe',
  ].map(exe);
  // A machine where every candidate exists; each step removes the winner.
  const machine = {
    env: {} as NodeJS.ProcessEnv,
    packages: {
      'ffmpeg-static': stat,
      '@ffmpeg-installer/ffmpeg': bundledFf,
      '@ffprobe-installer/ffprobe': bundledProbe,
    } as Record<string, string | undefined>,
    path: true,
  };
  const look = () => ({
    env: machine.env,
    packageBinary: (pkg: string) => machine.packages[pkg],
    onPath: () => (machine.path ? onPath : undefined),
  });
  machine.env = { RETAIA_FFMPEG_PATH: envFf, FFMPEG_PATH: legacy, RETAIA_FFPROBE_PATH: envProbe };
  const configured = resolveFfmpegBinaries({ ffmpegPath: cfg }, look());
  assert.deepEqual(
    [configured.ffmpeg, configured.source, configured.ffprobe, configured.ffprobeSource],
    [cfg, 'configured', envProbe, 'env'],
  );
  const env = resolveFfmpegBinaries({}, look());
  assert.deepEqual([env.ffmpeg, env.source], [envFf, 'env']);
  machine.env = { FFMPEG_PATH: legacy };
  assert.equal(
    resolveFfmpegBinaries({}, look()).ffmpeg,
    legacy,
    'the older FFMPEG_PATH still works',
  );
  machine.env = {};
  const fromStatic = resolveFfmpegBinaries({}, look());
  assert.deepEqual(
    [fromStatic.ffmpeg, fromStatic.source, fromStatic.ffprobe, fromStatic.ffprobeSource],
    [stat, 'ffmpeg-static', onPath, 'path'],
    'ffmpeg-static has no ffprobe: the next source provides it',
  );
  machine.packages['ffmpeg-static'] = undefined;
  const fromPath = resolveFfmpegBinaries({}, look());
  assert.deepEqual([fromPath.ffmpeg, fromPath.source], [onPath, 'path']);
  machine.path = false;
  const bundled = resolveFfmpegBinaries({}, look());
  assert.deepEqual(
    [bundled.ffmpeg, bundled.source, bundled.ffprobe, bundled.ffprobeSource],
    [bundledFf, 'bundled', bundledProbe, 'bundled'],
  );

  const isUnavailable = (pattern: RegExp) => (e: unknown) =>
    e instanceof ProcessingError &&
    e.code === 'FFMPEG_UNAVAILABLE' &&
    e.retryable &&
    pattern.test(e.message);
  assert.throws(
    () => resolveFfmpegBinaries({ ffmpegPath: join(tmp, 'nope') }, look()),
    isUnavailable(/configured path .*nope is not an executable/),
  );
  machine.env = { RETAIA_FFPROBE_PATH: join(tmp, 'nope') };
  assert.throws(
    () => resolveFfmpegBinaries({}, look()),
    isUnavailable(/RETAIA_FFPROBE_PATH=.*nope is not an executable/),
  );
  machine.env = {};
  machine.packages = {};
  assert.throws(() => resolveFfmpegBinaries({}, look()), isUnavailable(/Install ffmpeg/));
});

test('the bundled npm builds are installed, runnable and described with their version', async () => {
  const ffmpeg = packageBinary('@ffmpeg-installer/ffmpeg');
  const ffprobe = packageBinary('@ffprobe-installer/ffprobe');
  assert.ok(
    ffmpeg && ffprobe,
    'agent-core depends on @ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe',
  );
  const info = await describeFfmpeg({
    binaries: { ffmpeg, ffprobe, source: 'bundled', ffprobeSource: 'bundled' },
  });
  assert.equal(info.path, ffmpeg);
  assert.match(info.version, /^ffmpeg version \S+/);
  assert.match(info.ffprobe.version, /^ffprobe version \S+/);
  assert.match(formatFfmpegInfo(info), /\[bundled\]/);
  // And the machine's own resolution is described the same way (what diagnostics print).
  const here = await describeFfmpeg();
  assert.ok(['configured', 'env', 'ffmpeg-static', 'path', 'bundled'].includes(here.source));
  assert.match(here.version, /^ffmpeg version/);
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
