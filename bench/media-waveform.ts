// Waveform of 1 hour of audio: agent wall time and peak RSS (Node process + its ffmpeg child)
// vs ffmpeg decoding the same file to /dev/null, and vs the exact mono f32 decode the agent
// asks for. Best of 2 interleaved runs each (the bench box is shared). Run: npx tsx bench/media-waveform.ts
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenerateWaveformProcessor } from '../agent-core/src/processing/waveform/generate-waveform.js';
import { resolveFfmpegBinaries, runFfmpeg } from '../agent-core/src/processing/tools/ffmpeg.js';

const cacheDir = join(tmpdir(), 'retaia-bench-cache');
mkdirSync(cacheDir, { recursive: true });
const root = mkdtempSync(join(tmpdir(), 'retaia-bench-waveform-'));

/** Highest VmHWM (kB) seen among our ffmpeg children while `fn` runs (polled every 20 ms). */
async function withChildPeak<T>(fn: () => Promise<T>): Promise<{ result: T; childPeakKb: number }> {
  let peak = 0;
  const poll = setInterval(() => {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const status = readFileSync(`/proc/${d}/status`, 'utf8');
        if (!new RegExp(`^PPid:\\s+${process.pid}$`, 'm').test(status)) continue;
        const hwm = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0);
        peak = Math.max(peak, hwm);
      } catch {
        /* gone */
      }
    }
  }, 20);
  try {
    return { result: await fn(), childPeakKb: peak };
  } finally {
    clearInterval(poll);
  }
}

function ffmpegNull(args: string[]): Promise<void> {
  const { ffmpeg } = resolveFfmpegBinaries();
  return new Promise((resolve, reject) => {
    const c = spawn(ffmpeg, ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', ...args], {
      stdio: 'ignore',
    });
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exit ${code}`))));
  });
}

async function timed(fn: () => Promise<unknown>) {
  const t0 = performance.now();
  const { childPeakKb } = await withChildPeak(fn);
  return { ms: performance.now() - t0, childPeakKb };
}

try {
  const src = join(cacheDir, 'hour-44k-stereo.mp3');
  if (!existsSync(src)) {
    console.log('generating 1 h MP3 (44.1 kHz stereo 128 kbps), cached for later runs…');
    await runFfmpeg([
      '-f',
      'lavfi',
      '-i',
      'sine=f=220:d=3600:r=44100,volume=4',
      '-f',
      'lavfi',
      '-i',
      'anoisesrc=d=3600:r=44100:a=0.05',
      '-filter_complex',
      '[0][1]amix=inputs=2,aformat=channel_layouts=stereo',
      '-c:a',
      'libmp3lame',
      '-b:a',
      '128k',
      src,
    ]);
  }
  const rssBefore = process.memoryUsage().rss;
  const workDir = join(root, 'job');
  mkdirSync(workDir);
  const runAgent = () =>
    new GenerateWaveformProcessor().run({
      jobId: 'bench',
      jobType: 'generate_audio_waveform',
      assetUuid: 'bench',
      sourcePath: src,
      sidecarPaths: [],
      workDir,
      signal: new AbortController().signal,
      onProgress: () => {},
      logger: { info() {}, warn() {}, error() {}, debug() {} },
    });
  const best = (xs: { ms: number; childPeakKb: number }[]) =>
    xs.reduce((a, b) =>
      b.ms < a.ms
        ? { ...b, childPeakKb: Math.max(a.childPeakKb, b.childPeakKb) }
        : { ...a, childPeakKb: Math.max(a.childPeakKb, b.childPeakKb) },
    );
  const fulls = [];
  const monos = [];
  const agents = [];
  for (let i = 0; i < 2; i++) {
    fulls.push(await timed(() => ffmpegNull(['-i', src, '-f', 'null', '-'])));
    monos.push(await timed(() => ffmpegNull(['-i', src, '-ac', '1', '-f', 'f32le', '/dev/null'])));
    agents.push(await timed(runAgent));
  }
  const full = best(fulls);
  const lowRate = best(monos);
  const agent = best(agents);
  const nodePeakKb = process.resourceUsage().maxRSS;
  console.log('1 h MP3 44.1 kHz stereo');
  console.log(
    `ffmpeg full decode → null       ${full.ms.toFixed(0)} ms, ffmpeg peak RSS ${(full.childPeakKb / 1024).toFixed(1)} MiB`,
  );
  console.log(
    `ffmpeg mono f32 decode → null   ${lowRate.ms.toFixed(0)} ms, ffmpeg peak RSS ${(lowRate.childPeakKb / 1024).toFixed(1)} MiB`,
  );
  console.log(
    `agent generate_audio_waveform   ${agent.ms.toFixed(0)} ms, ffmpeg peak RSS ${(agent.childPeakKb / 1024).toFixed(1)} MiB, node peak RSS ${(nodePeakKb / 1024).toFixed(1)} MiB (was ${(rssBefore / 1048576).toFixed(1)} MiB before the job)`,
  );
  console.log(`ratio agent / full decode       ${(agent.ms / full.ms).toFixed(3)}`);
  console.log(`ratio agent / same mono decode   ${(agent.ms / lowRate.ms).toFixed(3)}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
