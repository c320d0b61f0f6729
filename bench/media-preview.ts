// Media processing bench (agent-core/src/processing):
//  1. generate_preview wall time ÷ bare ffmpeg running the very same command (target ≤ 1.10)
//  2. all review jobs of one 1080p video (facts + preview + thumbnails + waveform) ÷ preview alone
// Run: npx tsx bench/media-preview.ts   (BENCH_SECONDS=20 sets the generated clip length)
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProcessors } from '../agent-core/src/processing/registry.js';
import {
  probeMedia,
  resolveFfmpegBinaries,
  runFfmpeg,
} from '../agent-core/src/processing/tools/ffmpeg.js';
import { videoPreviewArgs } from '../agent-core/src/processing/preview/video-preview-args.js';
import type { ProcessorContext } from '../agent-core/src/processing/processor.js';
import { testContext } from '../agent-core/src/processing/testing/conformance.js';
import type { JobType } from '@retaia/protocol';

const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const root = mkdtempSync(join(tmpdir(), 'retaia-bench-media-'));
const cacheDir = join(tmpdir(), 'retaia-bench-cache');
mkdirSync(cacheDir, { recursive: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function source(): Promise<string> {
  const p = join(cacheDir, `bench-1080p-${seconds}s.mp4`);
  if (!existsSync(p)) {
    // Camera-like 1080p25: H.264 High ~16 Mbit/s, 1 s GOP, AAC stereo; light moving noise keeps
    // the encoder honest without the 100 Mbit/s a full-noise picture would cost.
    await runFfmpeg([
      '-f',
      'lavfi',
      '-i',
      `testsrc2=s=1920x1080:r=25:d=${seconds},noise=alls=3:allf=t`,
      '-f',
      'lavfi',
      '-i',
      `sine=f=330:d=${seconds}`,
      '-ac',
      '2',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-b:v',
      '16M',
      '-maxrate',
      '20M',
      '-bufsize',
      '32M',
      '-g',
      '25',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-b:a',
      '192k',
      '-shortest',
      p,
    ]);
  }
  return p;
}

function ctx(src: string, jobType: JobType): ProcessorContext {
  return testContext(src, mkdtempSync(join(root, `${jobType}-`)), { jobType, mediaType: 'VIDEO' });
}

/** The same command as the agent's, source handed as descriptor 3 like the agent does. */
function bareFfmpeg(args: string[], src: string): Promise<void> {
  const { ffmpeg } = resolveFfmpegBinaries();
  return new Promise((resolve, reject) => {
    const fd = openSync(src, 'r');
    const c = spawn(ffmpeg, ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', ...args], {
      stdio: ['ignore', 'ignore', 'ignore', fd],
    });
    closeSync(fd);
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exit ${code}`))));
  });
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

try {
  const src = await source();
  const processors = createProcessors();
  const probe = await probeMedia(src);
  const bareOut = join(root, 'bare.mp4');
  const bareArgs = videoPreviewArgs(src, bareOut, probe).args;

  const agentMs: number[] = [];
  const bareMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Interleave so thermal/other-load drift hits both sides alike.
    bareMs.push(await time(() => bareFfmpeg(bareArgs, src)));
    agentMs.push(
      await time(() => processors.get('generate_preview')!.run(ctx(src, 'generate_preview'))),
    );
  }
  const agent = median(agentMs);
  const bare = median(bareMs);
  console.log(`source: ${seconds}s 1080p25 H.264 + AAC; ${runs} runs each, medians`);
  console.log(`bare ffmpeg (same command)      ${bare.toFixed(0)} ms`);
  console.log(`agent generate_preview          ${agent.toFixed(0)} ms`);
  console.log(`ratio agent/bare                ${(agent / bare).toFixed(3)}  (target ≤ 1.10)`);

  const jobMs: Record<string, number> = {};
  for (const jt of [
    'extract_facts',
    'generate_preview',
    'generate_thumbnails',
    'generate_audio_waveform',
  ] as const) {
    const xs: number[] = [];
    for (let i = 0; i < runs; i++) xs.push(await time(() => processors.get(jt)!.run(ctx(src, jt))));
    jobMs[jt] = median(xs);
  }
  const total = Object.values(jobMs).reduce((a, b) => a + b, 0);
  for (const [k, v] of Object.entries(jobMs)) console.log(`  ${k.padEnd(28)} ${v.toFixed(0)} ms`);
  console.log(
    `all review jobs / preview alone ${(total / jobMs.generate_preview!).toFixed(3)}  (${total.toFixed(0)} ms vs ${jobMs.generate_preview!.toFixed(0)} ms)`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
