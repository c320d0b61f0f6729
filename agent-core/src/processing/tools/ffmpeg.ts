// The one module that owns ffmpeg/ffprobe. Everything else in the agent calls these functions
// and never spawns the binaries or imports fluent-ffmpeg itself.
//
// Why we spawn the binaries directly instead of going through fluent-ffmpeg: fluent-ffmpeg is
// unmaintained upstream, its progress parsing reads the human stderr (fragile across versions),
// it offers no AbortSignal, and streaming raw PCM/frames out of stdout with back-pressure is
// awkward through it. A thin `child_process.spawn` wrapper with `-progress pipe:1` gives us
// machine-readable progress, prompt kill on abort, and bounded memory, in less code.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { z } from 'zod';
import { ProcessingAbortedError, ProcessingError } from '../processor.js';

export type FfmpegSource = 'configured' | 'env' | 'bundled' | 'path';

export interface FfmpegBinaries {
  ffmpeg: string;
  ffprobe: string;
  source: FfmpegSource;
}

export interface FfmpegPathOptions {
  ffmpegPath?: string;
  ffprobePath?: string;
}

/** Error codes produced by this module (and reused by the processors). */
export const FFMPEG_ERROR_CODES = {
  unavailable: 'FFMPEG_UNAVAILABLE',
  failed: 'FFMPEG_FAILED',
  unreadable: 'MEDIA_UNREADABLE',
  empty: 'MEDIA_EMPTY',
  noStream: 'NO_DECODABLE_STREAM',
} as const;

const exeSuffix = process.platform === 'win32' ? '.exe' : '';

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const d of dirs) {
    const candidate = join(d, name + exeSuffix);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** ffmpeg-static is an optionalDependency; it is often absent (no GitHub download) — harmless. */
function bundledFfmpeg(): string | undefined {
  try {
    const req = createRequire(import.meta.url);
    const p = req('ffmpeg-static') as unknown;
    return typeof p === 'string' && isExecutableFile(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finds ffmpeg and ffprobe. Order: configured paths, FFMPEG_PATH/FFPROBE_PATH, the bundled
 * ffmpeg-static binary (with an ffprobe beside it or on PATH), then the system PATH.
 * `source` names where ffmpeg came from. Throws a retryable FFMPEG_UNAVAILABLE when none works.
 */
export function resolveFfmpegBinaries(opts: FfmpegPathOptions = {}): FfmpegBinaries {
  const missing = (what: string, detail: string): never => {
    throw new ProcessingError(
      FFMPEG_ERROR_CODES.unavailable,
      `${what} not found (${detail}). Install ffmpeg (e.g. "apt install ffmpeg"), or set ` +
        `ffmpegPath/ffprobePath in the agent config, or FFMPEG_PATH/FFPROBE_PATH.`,
      true,
    );
  };
  const pick = (configured: string | undefined, env: string | undefined, name: string) => {
    if (configured) {
      if (!isExecutableFile(configured))
        missing(name, `configured path ${configured} is not an executable file`);
      return { path: configured, source: 'configured' as const };
    }
    if (env) {
      if (!isExecutableFile(env)) missing(name, `environment path ${env} is not executable`);
      return { path: env, source: 'env' as const };
    }
    return undefined;
  };

  let ffmpeg: { path: string; source: FfmpegSource } | undefined = pick(
    opts.ffmpegPath,
    process.env.FFMPEG_PATH,
    'ffmpeg',
  );
  if (!ffmpeg) {
    const b = bundledFfmpeg();
    if (b) ffmpeg = { path: b, source: 'bundled' };
  }
  if (!ffmpeg) {
    const p = findOnPath('ffmpeg');
    if (p) ffmpeg = { path: p, source: 'path' };
  }
  if (!ffmpeg)
    return missing('ffmpeg', 'not configured, no FFMPEG_PATH, no bundled binary, not on PATH');

  let ffprobe = pick(opts.ffprobePath, process.env.FFPROBE_PATH, 'ffprobe')?.path;
  if (!ffprobe) {
    const sibling = join(dirname(ffmpeg.path), 'ffprobe' + exeSuffix);
    ffprobe = isExecutableFile(sibling) ? sibling : findOnPath('ffprobe');
  }
  if (!ffprobe)
    return missing('ffprobe', 'not configured, no FFPROBE_PATH, not beside ffmpeg, not on PATH');
  return { ffmpeg: ffmpeg.path, ffprobe, source: ffmpeg.source };
}

// ---------------------------------------------------------------------------------------------
// Process supervision shared by every call: abort → SIGTERM, SIGKILL after a short grace.

const KILL_GRACE_MS = 400;
const STDERR_TAIL_CHARS = 4000;

interface Supervised {
  child: ChildProcess;
  /** Resolves once the process has exited (never rejects). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>;
  stderrTail(): string;
  /** True when the exit was caused by our own kill (abort or early stop). */
  killedByUs(): boolean;
  kill(): void;
}

function supervise(bin: string, args: string[], signal: AbortSignal | undefined): Supervised {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    tail = (tail + s).slice(-STDERR_TAIL_CHARS);
  });
  let ours = false;
  let graceTimer: NodeJS.Timeout | undefined;
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    ours = true;
    child.kill('SIGTERM');
    graceTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    graceTimer.unref();
  };
  const onAbort = () => kill();
  signal?.addEventListener('abort', onAbort, { once: true });
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    spawnError?: Error;
  }>((resolve) => {
    child.once('error', (err) => resolve({ code: null, signal: null, spawnError: err }));
    child.once('close', (code, sig) => resolve({ code, signal: sig }));
  }).finally(() => {
    if (graceTimer) clearTimeout(graceTimer);
    signal?.removeEventListener('abort', onAbort);
  });
  return { child, exited, stderrTail: () => tail, killedByUs: () => ours, kill };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ProcessingAbortedError(signal.reason);
}

/** Last meaningful stderr lines, for operator-facing messages. */
function summarizeStderr(tail: string): string {
  const lines = tail
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(-3).join(' | ').slice(0, 600);
}

// I/O and resource trouble is worth a retry; anything else is the input's fault.
const TRANSIENT_STDERR =
  /Input\/output error|Resource temporarily unavailable|Cannot allocate memory|No space left|Stale file handle/i;

function failureFromExit(
  tool: 'ffmpeg' | 'ffprobe',
  result: { code: number | null; signal: NodeJS.Signals | null; spawnError?: Error },
  tail: string,
): ProcessingError {
  if (result.spawnError) {
    return new ProcessingError(
      FFMPEG_ERROR_CODES.unavailable,
      `${tool} could not be started: ${result.spawnError.message}`,
      true,
      { cause: result.spawnError },
    );
  }
  const summary = summarizeStderr(tail);
  if (result.signal) {
    return new ProcessingError(
      FFMPEG_ERROR_CODES.failed,
      `${tool} was killed by ${result.signal} (out of memory?)${summary ? `: ${summary}` : ''}`,
      true,
    );
  }
  return new ProcessingError(
    tool === 'ffprobe' ? FFMPEG_ERROR_CODES.unreadable : FFMPEG_ERROR_CODES.failed,
    `${tool} exited with code ${result.code}${summary ? `: ${summary}` : ''}`,
    TRANSIENT_STDERR.test(tail),
  );
}

// ---------------------------------------------------------------------------------------------
// runFfmpeg

export interface FfmpegProgress {
  outTimeMs: number;
  /** 0..100 when durationMs was given. */
  percent?: number;
}

export interface RunFfmpegOptions {
  signal?: AbortSignal;
  /** Expected output duration, to turn out_time into a percentage. */
  durationMs?: number;
  onProgress?: (p: FfmpegProgress) => void;
  binaries?: FfmpegBinaries;
}

/**
 * Runs ffmpeg with `args` (inputs, filters, outputs; this adds `-hide_banner -nostdin -y
 * -progress pipe:1 -nostats` in front). Resolves with the stderr tail; rejects with
 * ProcessingAbortedError on abort (after the process is gone) or ProcessingError on failure.
 */
export async function runFfmpeg(
  args: string[],
  opts: RunFfmpegOptions = {},
): Promise<{ stderrTail: string }> {
  throwIfAborted(opts.signal);
  const bins = opts.binaries ?? resolveFfmpegBinaries();
  const proc = supervise(
    bins.ffmpeg,
    ['-hide_banner', '-nostdin', '-y', '-progress', 'pipe:1', '-nostats', ...args],
    opts.signal,
  );
  let buffered = '';
  proc.child.stdout?.setEncoding('utf8');
  proc.child.stdout?.on('data', (s: string) => {
    buffered += s;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      // `out_time_us` is microseconds ("out_time_ms" is also µs, an old ffmpeg misnomer).
      const m = /^out_time_us=(\d+)$/.exec(line);
      if (m && opts.onProgress) {
        const outTimeMs = Math.floor(Number(m[1]) / 1000);
        const percent =
          opts.durationMs && opts.durationMs > 0
            ? Math.min(100, Math.max(0, (outTimeMs / opts.durationMs) * 100))
            : undefined;
        opts.onProgress(percent === undefined ? { outTimeMs } : { outTimeMs, percent });
      }
    }
  });
  const result = await proc.exited;
  if (opts.signal?.aborted) throw new ProcessingAbortedError(opts.signal.reason);
  if (result.code !== 0) throw failureFromExit('ffmpeg', result, proc.stderrTail());
  return { stderrTail: proc.stderrTail() };
}

/**
 * Runs ffmpeg writing its single output to stdout and returns it (for small outputs such as one
 * raw video frame). Rejects when the output would exceed `maxBytes`.
 */
export async function runFfmpegToBuffer(
  args: string[],
  opts: { signal?: AbortSignal; maxBytes: number; binaries?: FfmpegBinaries },
): Promise<Buffer> {
  throwIfAborted(opts.signal);
  const bins = opts.binaries ?? resolveFfmpegBinaries();
  const proc = supervise(
    bins.ffmpeg,
    ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', ...args],
    opts.signal,
  );
  const chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  proc.child.stdout?.on('data', (b: Buffer) => {
    size += b.length;
    if (size > opts.maxBytes) {
      overflow = true;
      proc.kill();
      return;
    }
    chunks.push(b);
  });
  const result = await proc.exited;
  if (opts.signal?.aborted) throw new ProcessingAbortedError(opts.signal.reason);
  if (overflow) {
    throw new ProcessingError(
      FFMPEG_ERROR_CODES.failed,
      `ffmpeg output exceeded ${opts.maxBytes} bytes`,
      false,
    );
  }
  if (result.code !== 0) throw failureFromExit('ffmpeg', result, proc.stderrTail());
  return Buffer.concat(chunks, size);
}

// ---------------------------------------------------------------------------------------------
// probeMedia

const tagsSchema = z.record(z.string(), z.union([z.string(), z.number()]).transform(String));
const numLike = z.union([z.string(), z.number()]).transform((v) => Number(v));

const sideDataSchema = z.looseObject({
  side_data_type: z.string().optional(),
  rotation: z.number().optional(),
  displaymatrix: z.string().optional(),
});

const streamSchema = z.looseObject({
  index: z.number(),
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  codec_tag_string: z.string().optional(),
  profile: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  sample_aspect_ratio: z.string().optional(),
  display_aspect_ratio: z.string().optional(),
  pix_fmt: z.string().optional(),
  field_order: z.string().optional(),
  color_range: z.string().optional(),
  color_space: z.string().optional(),
  color_transfer: z.string().optional(),
  color_primaries: z.string().optional(),
  r_frame_rate: z.string().optional(),
  avg_frame_rate: z.string().optional(),
  start_time: numLike.optional(),
  duration: numLike.optional(),
  bit_rate: numLike.optional(),
  nb_frames: numLike.optional(),
  sample_fmt: z.string().optional(),
  sample_rate: numLike.optional(),
  channels: z.number().optional(),
  channel_layout: z.string().optional(),
  bits_per_sample: z.number().optional(),
  bits_per_raw_sample: numLike.optional(),
  disposition: z.record(z.string(), z.number()).optional(),
  tags: tagsSchema.optional(),
  side_data_list: z.array(sideDataSchema).optional(),
});

const formatSchema = z.looseObject({
  filename: z.string().optional(),
  nb_streams: z.number().optional(),
  format_name: z.string().optional(),
  format_long_name: z.string().optional(),
  start_time: numLike.optional(),
  duration: numLike.optional(),
  size: numLike.optional(),
  bit_rate: numLike.optional(),
  probe_score: z.number().optional(),
  tags: tagsSchema.optional(),
});

const probeSchema = z.object({
  streams: z.array(streamSchema).default([]),
  format: formatSchema.optional(),
});

export type ProbeStream = z.infer<typeof streamSchema>;
export type ProbeFormat = z.infer<typeof formatSchema>;
export interface ProbeResult {
  format: ProbeFormat;
  streams: ProbeStream[];
}

/** Refuses zero-byte and missing files up front with a clear, non-retryable message. */
export function assertReadableMediaFile(path: string): { sizeBytes: number } {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (err) {
    throw new ProcessingError(
      FFMPEG_ERROR_CODES.unreadable,
      `source file cannot be read: ${path} (${(err as Error).message})`,
      false,
      { cause: err },
    );
  }
  if (size === 0) {
    throw new ProcessingError(
      FFMPEG_ERROR_CODES.empty,
      `source file is empty (0 bytes): ${path}`,
      false,
    );
  }
  return { sizeBytes: size };
}

/** ffprobe's JSON for `path` (format + streams + tags), typed. */
export async function probeMedia(
  path: string,
  opts: { signal?: AbortSignal; binaries?: FfmpegBinaries } = {},
): Promise<ProbeResult> {
  throwIfAborted(opts.signal);
  assertReadableMediaFile(path);
  const bins = opts.binaries ?? resolveFfmpegBinaries();
  const proc = supervise(
    bins.ffprobe,
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '--', path],
    opts.signal,
  );
  let out = '';
  proc.child.stdout?.setEncoding('utf8');
  proc.child.stdout?.on('data', (s: string) => {
    out += s;
  });
  const result = await proc.exited;
  if (opts.signal?.aborted) throw new ProcessingAbortedError(opts.signal.reason);
  if (result.code !== 0) {
    const err = failureFromExit('ffprobe', result, proc.stderrTail());
    if (err.code === FFMPEG_ERROR_CODES.unreadable) {
      throw new ProcessingError(
        err.code,
        `not a readable media file (${summarizeStderr(proc.stderrTail()) || `ffprobe exit ${result.code}`}): ${path}`,
        err.retryable,
      );
    }
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(out);
  } catch (cause) {
    throw new ProcessingError(FFMPEG_ERROR_CODES.failed, 'ffprobe printed invalid JSON', true, {
      cause,
    });
  }
  const parsed = probeSchema.safeParse(json);
  if (!parsed.success) {
    throw new ProcessingError(
      FFMPEG_ERROR_CODES.failed,
      `unexpected ffprobe output: ${parsed.error.message.slice(0, 300)}`,
      true,
    );
  }
  return { format: parsed.data.format ?? {}, streams: parsed.data.streams };
}

// ---------------------------------------------------------------------------------------------
// decodePcm

export interface DecodePcmOptions {
  sampleRate: number;
  channels: 1 | 2;
  signal?: AbortSignal;
  startMs?: number;
  durationMs?: number;
  binaries?: FfmpegBinaries;
}

/**
 * Streams the first audio stream of `path` as interleaved float32 samples at `sampleRate`.
 * Memory stays bounded: chunks are yielded as ffmpeg produces them and the pipe applies
 * back-pressure while the consumer is busy. Breaking out of the loop kills ffmpeg.
 */
export async function* decodePcm(
  path: string,
  opts: DecodePcmOptions,
): AsyncIterable<Float32Array> {
  throwIfAborted(opts.signal);
  assertReadableMediaFile(path);
  const bins = opts.binaries ?? resolveFfmpegBinaries();
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error'];
  if (opts.startMs) args.push('-ss', msToSeconds(opts.startMs));
  args.push('-i', path);
  if (opts.durationMs !== undefined) args.push('-t', msToSeconds(opts.durationMs));
  args.push(
    '-map',
    '0:a:0',
    '-vn',
    '-sn',
    '-dn',
    '-ac',
    String(opts.channels),
    '-ar',
    String(opts.sampleRate),
    // Without this ffmpeg flushes the pipe after every tiny audio packet (~80× more writes,
    // +40 % wall time measured on a 1 h MP3).
    '-flush_packets',
    '0',
    '-f',
    'f32le',
    '-acodec',
    'pcm_f32le',
    'pipe:1',
  );
  const proc = supervise(bins.ffmpeg, args, opts.signal);
  let carry: Buffer | undefined;
  let finished = false;
  try {
    for await (const chunk of proc.child.stdout! as AsyncIterable<Buffer>) {
      let buf = carry ? Buffer.concat([carry, chunk]) : chunk;
      const usable = buf.length - (buf.length % 4);
      carry = usable < buf.length ? Buffer.from(buf.subarray(usable)) : undefined;
      if (usable === 0) continue;
      buf = buf.subarray(0, usable);
      if (buf.byteOffset % 4 === 0) {
        // Zero-copy view (pipe chunks are normally fresh, aligned allocations).
        yield new Float32Array(buf.buffer, buf.byteOffset, usable / 4);
      } else {
        const out = new Float32Array(usable / 4);
        new Uint8Array(out.buffer).set(buf);
        yield out;
      }
    }
    finished = true;
  } finally {
    if (!finished) proc.kill();
    const result = await proc.exited;
    if (opts.signal?.aborted) {
      // eslint-disable-next-line no-unsafe-finally
      throw new ProcessingAbortedError(opts.signal.reason);
    }
    if (finished && result.code !== 0) {
      const tail = proc.stderrTail();
      // eslint-disable-next-line no-unsafe-finally
      throw /matches no streams|does not contain any stream/i.test(tail)
        ? new ProcessingError(
            FFMPEG_ERROR_CODES.noStream,
            `no audio stream to decode in ${path}`,
            false,
          )
        : failureFromExit('ffmpeg', result, tail);
    }
  }
}

export function msToSeconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

// ---------------------------------------------------------------------------------------------
// Capability probing

/** Names of the encoders this ffmpeg build offers (e.g. libx264, aac, libwebp, mjpeg). */
export async function listFfmpegEncoders(
  opts: { binaries?: FfmpegBinaries; signal?: AbortSignal } = {},
): Promise<Set<string>> {
  const bins = opts.binaries ?? resolveFfmpegBinaries();
  const proc = supervise(bins.ffmpeg, ['-hide_banner', '-encoders'], opts.signal);
  let out = '';
  proc.child.stdout?.setEncoding('utf8');
  proc.child.stdout?.on('data', (s: string) => {
    out += s;
  });
  const result = await proc.exited;
  if (result.code !== 0) throw failureFromExit('ffmpeg', result, proc.stderrTail());
  const names = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /^\s*[VAS][F.][S.][X.][B.][D.]\s+(\S+)/.exec(line);
    if (m?.[1]) names.add(m[1]);
  }
  return names;
}

/** Runs `<bin> -version` and returns its first line; throws a retryable error when it fails. */
export async function toolVersion(bin: string, signal?: AbortSignal): Promise<string> {
  const proc = supervise(bin, ['-hide_banner', '-version'], signal);
  let out = '';
  proc.child.stdout?.setEncoding('utf8');
  proc.child.stdout?.on('data', (s: string) => {
    out += s;
  });
  const result = await proc.exited;
  if (result.code !== 0) throw failureFromExit('ffmpeg', result, proc.stderrTail());
  return out.split('\n')[0] ?? '';
}

// ---------------------------------------------------------------------------------------------
// extractVideoFrame

export interface RgbFrame {
  width: number;
  height: number;
  /** Packed 8-bit RGB, width*height*3 bytes. */
  rgb: Buffer;
}

/**
 * One frame of the first video stream at `atMs`, display-oriented (autorotate), square pixels,
 * scaled to `width`. Seeks on the input side (fast: decodes from the previous keyframe only).
 * Returns undefined when there is no frame at that time (past the end).
 */
export async function extractVideoFrame(
  path: string,
  opts: { atMs: number; width: number; signal?: AbortSignal; binaries?: FfmpegBinaries },
): Promise<RgbFrame | undefined> {
  const out = await runFfmpegToBuffer(
    [
      // One decoder thread per grab: the caller runs grabs in parallel, and frame threading only
      // adds start-up latency when a single frame is wanted.
      '-threads',
      '1',
      '-ss',
      msToSeconds(opts.atMs),
      '-i',
      path,
      '-map',
      '0:v:0',
      '-an',
      '-sn',
      '-dn',
      '-frames:v',
      '1',
      '-vf',
      `scale=trunc(iw*sar/2+0.5)*2:ih,setsar=1,scale=${opts.width}:-2:flags=bicubic,format=rgb24`,
      '-c:v',
      'ppm',
      '-f',
      'image2pipe',
      'pipe:1',
    ],
    { maxBytes: opts.width * opts.width * 3 * 4 + 64, ...opts },
  );
  if (out.length === 0) return undefined;
  const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(out.subarray(0, 32).toString('latin1'));
  if (!m)
    throw new ProcessingError(
      FFMPEG_ERROR_CODES.failed,
      'ffmpeg returned an unexpected frame format',
      true,
    );
  const width = Number(m[1]);
  const height = Number(m[2]);
  const rgb = out.subarray(m[0].length, m[0].length + width * height * 3);
  if (rgb.length !== width * height * 3) return undefined;
  return { width, height, rgb };
}
