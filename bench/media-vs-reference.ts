// The review set of one 1080p video (facts + preview + thumbnails + waveform), ours ÷ the command
// sequence of the public Rust Retaia agent on the same file, in the same process, plus the SSIM
// of both previews against the source (target: ratio ≤ 0.45 on both clips, our SSIM no more than
// 0.002 below the reference's). The reference sequence: ffprobe facts; libx264 medium CRF 23
// preview at 720p; nine single-frame ffmpeg thumbnails; a 16 kHz WAV decode for the waveform.
// Clips: a real low-motion camera clip looped to 60 s and a generated high-motion 30 s clip.
// Ours is what the agent runs: facts, then preview + thumbnails + waveform in one shared pass
// (one decode, asset-pass/). BENCH_SEPARATE=1 runs the three jobs one after the other instead.
// Run: npx tsx bench/media-vs-reference.ts   (BENCH_RUNS=n, BENCH_ENCODER=auto for hardware,
// BENCH_X264_PRESET=<preset> to try another x264 preset)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobType } from '@retaia/protocol';
import { sharedMedia } from '../protocol/src/testing/shared-media.js';
import { createProcessors } from '../agent-core/src/processing/registry.js';
import type { ProcessorContext, ProcessorOutput } from '../agent-core/src/processing/processor.js';
import { passOf } from '../agent-core/src/processing/asset-pass/pass-registry.js';
import { testContext } from '../agent-core/src/processing/testing/conformance.js';
import { resolveFfmpegBinaries } from '../agent-core/src/processing/tools/ffmpeg.js';

const runs = Number(process.env.BENCH_RUNS ?? 1);
const root = mkdtempSync(join(tmpdir(), 'retaia-bench-ref-'));
const cacheDir = join(tmpdir(), 'retaia-bench-cache');
mkdirSync(cacheDir, { recursive: true });
const bins = resolveFfmpegBinaries();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function run(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(bin, ['-hide_banner', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
    c.on('error', reject);
    c.on('close', (code) =>
      code === 0 ? resolve(out + err) : reject(new Error(`${bin} exit ${code}: ${err}`)),
    );
  });
}

async function clips(): Promise<Array<{ name: string; path: string }>> {
  const out: Array<{ name: string; path: string }> = [];
  const sample = sharedMedia('video/sample-h264.mp4').path;
  if (sample) {
    const low = join(cacheDir, 'low-motion-60s.mp4');
    if (!existsSync(low)) {
      await run(bins.ffmpeg, [
        '-y',
        '-stream_loop',
        '5',
        '-i',
        sample,
        '-map',
        '0:v:0',
        '-map',
        '0:a:0?',
        '-c',
        'copy',
        '-t',
        '60',
        low,
      ]);
    }
    out.push({ name: 'low-motion real clip, 60 s 1080p', path: low });
  } else {
    console.log(
      'skipping the real low-motion clip: shared sample media not found (set RETAIA_SHARED_DIR)',
    );
  }
  const high = join(cacheDir, 'high-motion-30s.mp4');
  if (!existsSync(high)) {
    await run(bins.ffmpeg, [
      '-y',
      '-f',
      'lavfi',
      '-i',
      "testsrc2=s=2560x1440:r=30:d=30,crop=1920:1080:x='(sin(t*3)+1)*320':y='(cos(t*2)+1)*180',noise=alls=8:allf=t",
      '-f',
      'lavfi',
      '-i',
      'sine=f=220:d=30',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-b:v',
      '20M',
      '-g',
      '30',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-ac',
      '2',
      '-shortest',
      high,
    ]);
  }
  out.push({ name: 'high-motion generated clip, 30 s 1080p', path: high });
  return out;
}

/** The Rust agent's sequence, command for command. Returns the preview path. */
async function reference(src: string, dir: string): Promise<string> {
  await run(bins.ffprobe, [
    '-v',
    'quiet',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    src,
  ]);
  const preview = join(dir, 'ref-preview.mp4');
  await run(bins.ffmpeg, [
    '-y',
    '-i',
    src,
    '-vf',
    'scale=-2:720',
    '-c:v',
    'libx264',
    '-preset',
    'medium',
    '-crf',
    '23',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-movflags',
    '+faststart',
    preview,
  ]);
  const durationS = Number(
    (
      await run(bins.ffprobe, [
        '-v',
        'error',
        '-show_entries',
        'format=duration',
        '-of',
        'csv=p=0',
        src,
      ])
    ).trim(),
  );
  for (let i = 0; i < 9; i++) {
    const t = ((i + 0.5) * durationS) / 9;
    await run(bins.ffmpeg, [
      '-y',
      '-ss',
      t.toFixed(3),
      '-i',
      src,
      '-frames:v',
      '1',
      '-vf',
      'scale=480:-2',
      join(dir, `ref-thumb-${i}.jpg`),
    ]);
  }
  await run(bins.ffmpeg, [
    '-y',
    '-i',
    src,
    '-vn',
    '-ac',
    '1',
    '-ar',
    '16000',
    '-f',
    'wav',
    join(dir, 'ref.wav'),
  ]);
  return preview;
}

function ctx(src: string, jobType: JobType, dir: string): ProcessorContext {
  return testContext(src, mkdtempSync(join(dir, `${jobType}-`)), { jobType, mediaType: 'VIDEO' });
}

// BENCH_X264_PRESET=ultrafast shows what the fastest x264 setting would reach (at ~4× the size).
const x264Preset = process.env.BENCH_X264_PRESET;
const processors = createProcessors({
  videoEncoder: process.env.BENCH_ENCODER === 'auto' ? 'auto' : 'software',
  ...(x264Preset ? { x264Preset } : {}),
});

const REVIEW = ['generate_preview', 'generate_thumbnails', 'generate_audio_waveform'] as const;
const separate = process.env.BENCH_SEPARATE === '1';

/** Our four review jobs as the agent runs them. Returns the preview path. */
async function ours(src: string, dir: string): Promise<string> {
  await processors.get('extract_facts')!.run(ctx(src, 'extract_facts', dir));
  const outputs: ProcessorOutput[] = [];
  if (separate) {
    for (const jt of REVIEW) outputs.push(await processors.get(jt)!.run(ctx(src, jt, dir)));
  } else {
    const members = new Map(REVIEW.map((jt) => [jt, ctx(src, jt, dir)]));
    const pass = passOf(processors.get('generate_preview'))!;
    for (const out of pass.run(members).values()) outputs.push(await out);
  }
  const preview = outputs[0]!;
  if (preview.type !== 'derived') throw new Error('no preview');
  return preview.files[0]!.path;
}

/**
 * What no preview encoder removes: decoding the source and scaling it to 720p, with nothing
 * encoded. Its CPU share of the reference is the floor of ours on software encoding.
 */
async function decodeAndScale(src: string): Promise<void> {
  await run(bins.ffmpeg, [
    '-v',
    'error',
    '-i',
    src,
    '-an',
    '-vf',
    'scale=-2:720',
    '-f',
    'null',
    '-',
  ]);
}

/** Mean SSIM of a 720p preview against the source scaled the same way. */
async function ssim(preview: string, src: string): Promise<number> {
  const log = await run(bins.ffmpeg, [
    '-i',
    preview,
    '-i',
    src,
    '-filter_complex',
    '[0:v]setpts=PTS-STARTPTS[a];[1:v]scale=-2:720:flags=bicubic,setpts=PTS-STARTPTS[b];[a][b]ssim',
    '-f',
    'null',
    '-',
  ]);
  const m = /All:([\d.]+)/.exec(log);
  if (!m) throw new Error(`no SSIM in ffmpeg output: ${log.slice(-300)}`);
  return Number(m[1]);
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * CPU time (ms) used so far by this process and its waited-for children (Linux /proc): unlike
 * wall time, it does not grow when other work shares the machine.
 */
function cpuMs(): number {
  const own = process.cpuUsage();
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  const children = (Number(fields[13]) + Number(fields[14])) * (1000 / CLK_TCK);
  return (own.user + own.system) / 1000 + children;
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T, number]> {
  const t0 = performance.now();
  const c0 = cpuMs();
  const v = await fn();
  return [performance.now() - t0, v, cpuMs() - c0];
}

try {
  console.log(
    `ffmpeg: ${bins.ffmpeg} (${bins.source}); ${runs} run(s) per side, medians, interleaved`,
  );
  for (const clip of await clips()) {
    const refMs: number[] = [];
    const ourMs: number[] = [];
    const refCpu: number[] = [];
    const ourCpu: number[] = [];
    let refPreview = '';
    let ourPreview = '';
    for (let i = 0; i < runs; i++) {
      const dir = mkdtempSync(join(root, 'run-'));
      [refMs[i], refPreview, refCpu[i]] = await time(() => reference(clip.path, dir));
      [ourMs[i], ourPreview, ourCpu[i]] = await time(() => ours(clip.path, dir));
    }
    const [, , floorCpu] = await time(() => decodeAndScale(clip.path));
    const [refSsim, ourSsim] = [
      await ssim(refPreview, clip.path),
      await ssim(ourPreview, clip.path),
    ];
    const ratio = median(ourMs) / median(refMs);
    console.log(`\n${clip.name}`);
    console.log(
      `  reference sequence   ${median(refMs).toFixed(0)} ms   preview SSIM ${refSsim.toFixed(4)}`,
    );
    console.log(
      `  ours (${separate ? '4 jobs, apart' : 'facts + 1 pass'})  ${median(ourMs).toFixed(0)} ms   preview SSIM ${ourSsim.toFixed(4)}`,
    );
    console.log(
      `  ratio ours/reference ${ratio.toFixed(3)}  (target ≤ 0.45)   SSIM delta ${(ourSsim - refSsim).toFixed(4)}  (target ≥ -0.002)`,
    );
    console.log(
      `  CPU time             reference ${median(refCpu).toFixed(0)} ms, ours ${median(ourCpu).toFixed(0)} ms, ratio ${(median(ourCpu) / median(refCpu)).toFixed(3)}  (steadier than wall time on a shared machine)`,
    );
    console.log(
      `  floor                decoding + scaling to 720p alone: ${floorCpu.toFixed(0)} ms CPU = ${(floorCpu / median(refCpu)).toFixed(3)} of the reference's`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
