// Which H.264 encoder makes the video proxies on this machine. Laptops mostly have a hardware
// encoder (VideoToolbox, NVENC, Quick Sync, VAAPI, AMF) that is several times faster than libx264
// and leaves the CPU to the user, but "listed by ffmpeg" does not mean "works here": a build
// lists NVENC without a driver, VAAPI without /dev/dri, QSV without the runtime. So each
// candidate gets a short real trial encode, the first that passes wins, and the answer is cached
// per ffmpeg binary (path, size, mtime) so it is redone only when ffmpeg changes. A real encode
// that still fails on the hardware path falls back to libx264 (see generate-preview.ts) and the
// encoder is not tried again in this process. Quality targets per encoder: docs/media-engine.md.
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FfmpegBinaries } from '../tools/ffmpeg.js';
import { listFfmpegEncoders, runFfmpeg } from '../tools/ffmpeg.js';

export type VideoEncoderName =
  'libx264' | 'h264_videotoolbox' | 'h264_nvenc' | 'h264_qsv' | 'h264_vaapi' | 'h264_amf';

/** `auto` tries hardware first; `software` always uses libx264 (a user choice). */
export type VideoEncoderMode = 'auto' | 'software';

export interface EncoderTrial {
  encoder: VideoEncoderName;
  ok: boolean;
  /** Why it failed (first useful ffmpeg line), or how long the trial took. */
  detail: string;
}

export interface VideoEncoderChoice {
  encoder: VideoEncoderName;
  hardware: boolean;
  /** One sentence for diagnostics and the desktop app. */
  reason: string;
  trials: EncoderTrial[];
}

/** Hardware encoders worth trying, best first, per platform. */
export function hardwareCandidates(platform: NodeJS.Platform): VideoEncoderName[] {
  if (platform === 'darwin') return ['h264_videotoolbox'];
  if (platform === 'win32') return ['h264_nvenc', 'h264_qsv', 'h264_amf'];
  return ['h264_nvenc', 'h264_qsv', 'h264_vaapi'];
}

/** The render node VAAPI opens; overridable for machines with several GPUs. */
function vaapiDevice(): string {
  return process.env.RETAIA_VAAPI_DEVICE ?? '/dev/dri/renderD128';
}

export interface EncoderArgs {
  /** Before `-i` (device set-up). */
  inputArgs: string[];
  /** Appended to the filter chain after the software filters (upload to the GPU). */
  filterTail: string[];
  /** `-c:v …` and its rate control. */
  codecArgs: string[];
}

/**
 * ffmpeg arguments for one encoder at the proxy's quality target (libx264's `crf` is the
 * reference; the hardware settings below were chosen to land near it in size and SSIM).
 */
export function encoderArgs(
  encoder: VideoEncoderName,
  target: { crf: number; x264Preset: string; x264Params?: string },
): EncoderArgs {
  const q = String(target.crf);
  switch (encoder) {
    case 'libx264':
      return {
        inputArgs: [],
        filterTail: [],
        codecArgs: [
          '-c:v',
          'libx264',
          '-profile:v',
          'high',
          '-preset',
          target.x264Preset,
          ...(target.x264Params ? ['-x264-params', target.x264Params] : []),
          '-crf',
          q,
        ],
      };
    case 'h264_nvenc':
      return {
        inputArgs: [],
        filterTail: [],
        codecArgs: [
          '-c:v',
          'h264_nvenc',
          '-profile:v',
          'high',
          '-preset',
          'p5',
          '-tune',
          'hq',
          '-rc',
          'vbr',
          '-cq',
          q,
          '-b:v',
          '0',
        ],
      };
    case 'h264_qsv':
      return {
        inputArgs: [],
        filterTail: [],
        codecArgs: [
          '-c:v',
          'h264_qsv',
          '-profile:v',
          'high',
          '-preset',
          'medium',
          '-global_quality',
          q,
          '-look_ahead',
          '0',
        ],
      };
    case 'h264_vaapi':
      return {
        inputArgs: ['-vaapi_device', vaapiDevice()],
        filterTail: ['format=nv12', 'hwupload'],
        codecArgs: ['-c:v', 'h264_vaapi', '-profile:v', 'high', '-qp', q],
      };
    case 'h264_videotoolbox':
      // VideoToolbox has no constant-quality mode on Intel Macs; a bit rate sized for 720p is
      // the portable target (about what CRF 23 gives for camera footage).
      return {
        inputArgs: [],
        filterTail: [],
        codecArgs: [
          '-c:v',
          'h264_videotoolbox',
          '-profile:v',
          'high',
          '-b:v',
          '3500k',
          '-maxrate',
          '5000k',
          '-allow_sw',
          '0',
        ],
      };
    case 'h264_amf':
      return {
        inputArgs: [],
        filterTail: [],
        codecArgs: [
          '-c:v',
          'h264_amf',
          '-profile:v',
          'high',
          '-quality',
          'balanced',
          '-rc',
          'cqp',
          '-qp_i',
          q,
          '-qp_p',
          q,
        ],
      };
  }
}

/** The first line of ffmpeg's complaint that says something (drops banners and blanks). */
function firstUsefulLine(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(ffmpeg|ffprobe) (exited|failed)/i.test(l));
  return (lines.find((l) => /error|cannot|failed|not|no /i.test(l)) ?? lines[0] ?? message).slice(
    0,
    200,
  );
}

/** A short real encode: ~0.5 s of 640×360 through the encoder's own argument set. */
export async function trialEncode(
  encoder: VideoEncoderName,
  binaries: FfmpegBinaries,
  signal?: AbortSignal,
): Promise<EncoderTrial> {
  const a = encoderArgs(encoder, { crf: 23, x264Preset: 'ultrafast' });
  const started = Date.now();
  const timeout = AbortSignal.timeout(15_000);
  try {
    await runFfmpeg(
      [
        '-loglevel',
        'error',
        ...a.inputArgs,
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=640x360:rate=25',
        '-frames:v',
        '12',
        '-vf',
        ['format=yuv420p', ...a.filterTail].join(','),
        ...a.codecArgs,
        '-f',
        'null',
        '-',
      ],
      { binaries, signal: signal ? AbortSignal.any([signal, timeout]) : timeout },
    );
    return { encoder, ok: true, detail: `trial encode ok in ${Date.now() - started} ms` };
  } catch (err) {
    const why = timeout.aborted
      ? 'trial encode timed out'
      : firstUsefulLine((err as Error).message);
    return { encoder, ok: false, detail: why };
  }
}

interface CachedChoice {
  key: string;
  choice: VideoEncoderChoice;
}

async function binaryKey(binaries: FfmpegBinaries, platform: string): Promise<string> {
  const s = await stat(binaries.ffmpeg);
  return `${platform}|${binaries.ffmpeg}|${s.size}|${Math.round(s.mtimeMs)}`;
}

export interface DetectVideoEncoderOptions {
  binaries: FfmpegBinaries;
  mode?: VideoEncoderMode;
  platform?: NodeJS.Platform;
  /** JSON file that remembers the answer per ffmpeg binary. */
  cacheFile?: string;
  /** Restrict/replace the candidate list (tests, and machines where one encoder misbehaves). */
  candidates?: VideoEncoderName[];
  signal?: AbortSignal;
}

/** Tries the hardware candidates ffmpeg lists, in order; libx264 when none works. */
export async function detectVideoEncoder(
  opts: DetectVideoEncoderOptions,
): Promise<VideoEncoderChoice> {
  if (opts.mode === 'software') {
    return {
      encoder: 'libx264',
      hardware: false,
      reason: 'software encoding chosen in settings',
      trials: [],
    };
  }
  const platform = opts.platform ?? process.platform;
  const candidates = opts.candidates ?? hardwareCandidates(platform);
  const key = await binaryKey(opts.binaries, platform).catch(() => undefined);
  if (opts.cacheFile && key) {
    const cached = await readCache(opts.cacheFile);
    if (cached?.key === `${key}|${candidates.join(',')}`) return cached.choice;
  }
  const listed = await listFfmpegEncoders({
    binaries: opts.binaries,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const trials: EncoderTrial[] = [];
  let winner: EncoderTrial | undefined;
  for (const encoder of candidates) {
    if (!listed.has(encoder)) continue;
    const trial = await trialEncode(encoder, opts.binaries, opts.signal);
    trials.push(trial);
    if (trial.ok) {
      winner = trial;
      break;
    }
  }
  const choice: VideoEncoderChoice = winner
    ? {
        encoder: winner.encoder,
        hardware: true,
        reason: `${winner.encoder}: ${winner.detail}`,
        trials,
      }
    : {
        encoder: 'libx264',
        hardware: false,
        reason:
          trials.length === 0
            ? 'no hardware H.264 encoder in this ffmpeg build: libx264'
            : `no working hardware encoder (${trials.map((t) => `${t.encoder}: ${t.detail}`).join('; ')}): libx264`,
        trials,
      };
  if (opts.cacheFile && key)
    await writeCache(opts.cacheFile, { key: `${key}|${candidates.join(',')}`, choice });
  return choice;
}

async function readCache(file: string): Promise<CachedChoice | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as CachedChoice;
    return typeof parsed.key === 'string' && parsed.choice?.encoder ? parsed : undefined;
  } catch {
    return undefined;
  }
}

async function writeCache(file: string, value: CachedChoice): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(value, null, 2));
  } catch {
    // A cache that cannot be written only costs a trial at the next start.
  }
}

/**
 * The process-wide encoder choice: detected once (lazily, on the first video), downgraded to
 * libx264 for good when a real encode on the hardware path fails.
 */
export class VideoEncoderSelector {
  private pending: Promise<VideoEncoderChoice> | undefined;
  private downgraded: VideoEncoderChoice | undefined;

  constructor(private readonly detect: () => Promise<VideoEncoderChoice>) {}

  current(): Promise<VideoEncoderChoice> {
    if (this.downgraded) return Promise.resolve(this.downgraded);
    this.pending ??= this.detect().catch((err: unknown) => ({
      encoder: 'libx264' as const,
      hardware: false,
      reason: `encoder detection failed (${(err as Error).message}): libx264`,
      trials: [],
    }));
    return this.pending;
  }

  /** Called after a failed real encode on `failed`: software from now on. */
  markFailed(failed: VideoEncoderName, detail: string): VideoEncoderChoice {
    this.downgraded = {
      encoder: 'libx264',
      hardware: false,
      reason: `${failed} failed on a real encode (${firstUsefulLine(detail)}): libx264 from now on`,
      trials: [],
    };
    return this.downgraded;
  }
}
