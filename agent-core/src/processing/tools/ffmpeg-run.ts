// runFfmpeg and friends: one ffmpeg run, with progress, abort and a bounded stdout capture.
import { ProcessingAbortedError, ProcessingError } from '../processor.js';
import { resolveFfmpegBinaries, type FfmpegBinaries } from './ffmpeg-binaries.js';
import {
  collectStdout,
  failureFromExit,
  FFMPEG_ERROR_CODES,
  supervise,
  throwIfAborted,
  type Supervised,
} from './ffmpeg-process.js';
import { explainSourceFailure, superviseOnSource } from './media-input.js';

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
  /**
   * The validated source `args` read through sourceInputArgs(source). Processors always pass
   * it; only generated inputs (lavfi test patterns, capability checks) run without.
   */
  source?: string;
}

/** Spawns ffmpeg, on the source when one is given (extra output pipes: see supervise). */
export function spawnFfmpeg(
  bins: FfmpegBinaries,
  args: string[],
  opts: { signal?: AbortSignal; source?: string; extraPipes?: number },
): Supervised {
  return opts.source === undefined
    ? supervise(bins.ffmpeg, args, opts.signal, undefined, opts.extraPipes)
    : superviseOnSource(bins.ffmpeg, args, opts.source, opts.signal, opts.extraPipes);
}

/** The failure of an ffmpeg run, with a format refusal named as such. */
export function ffmpegFailure(
  result: Awaited<Supervised['exited']>,
  tail: string,
  source: string | undefined,
): ProcessingError {
  const failure = failureFromExit('ffmpeg', result, tail);
  if (source === undefined || failure.retryable) return failure;
  return explainSourceFailure(source, tail) ?? failure;
}

/** Reads `-progress pipe:1` from the child's stdout and reports the output time. */
export function followProgress(
  proc: Supervised,
  durationMs: number | undefined,
  onProgress: (p: FfmpegProgress) => void,
): void {
  let buffered = '';
  proc.child.stdout?.setEncoding('utf8');
  proc.child.stdout?.on('data', (s: string) => {
    buffered += s;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      // `out_time_us` is microseconds ("out_time_ms" is also µs, an old ffmpeg misnomer;
      // builds from before 2019 print only that one).
      const m = /^out_time_(?:us|ms)=(\d+)$/.exec(line);
      if (!m) continue;
      const outTimeMs = Math.floor(Number(m[1]) / 1000);
      const percent =
        durationMs && durationMs > 0
          ? Math.min(100, Math.max(0, (outTimeMs / durationMs) * 100))
          : undefined;
      onProgress(percent === undefined ? { outTimeMs } : { outTimeMs, percent });
    }
  });
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
  const proc = spawnFfmpeg(
    bins,
    ['-hide_banner', '-nostdin', '-y', '-progress', 'pipe:1', '-nostats', ...args],
    opts,
  );
  // Always read: an unread progress pipe fills up and blocks ffmpeg.
  followProgress(proc, opts.durationMs, opts.onProgress ?? (() => undefined));
  const result = await proc.exited;
  if (opts.signal?.aborted) throw new ProcessingAbortedError(opts.signal.reason);
  if (result.code !== 0) throw ffmpegFailure(result, proc.stderrTail(), opts.source);
  return { stderrTail: proc.stderrTail() };
}

/**
 * Runs ffmpeg writing its single output to stdout and returns it (for small outputs such as one
 * raw video frame). Rejects when the output would exceed `maxBytes`.
 */
export async function runFfmpegToBuffer(
  args: string[],
  opts: { signal?: AbortSignal; maxBytes: number; binaries?: FfmpegBinaries; source?: string },
): Promise<Buffer> {
  throwIfAborted(opts.signal);
  const bins = opts.binaries ?? resolveFfmpegBinaries();
  const proc = spawnFfmpeg(
    bins,
    ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', ...args],
    opts,
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
  if (result.code !== 0) throw ffmpegFailure(result, proc.stderrTail(), opts.source);
  return Buffer.concat(chunks, size);
}

export function msToSeconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/** Names of the encoders this ffmpeg build offers (e.g. libx264, aac, libwebp, mjpeg). */
export async function listFfmpegEncoders(
  opts: { binaries?: FfmpegBinaries; signal?: AbortSignal } = {},
): Promise<Set<string>> {
  const bins = opts.binaries ?? resolveFfmpegBinaries();
  const proc = supervise(bins.ffmpeg, ['-hide_banner', '-encoders'], opts.signal);
  const out = collectStdout(proc);
  const result = await proc.exited;
  if (result.code !== 0) throw failureFromExit('ffmpeg', result, proc.stderrTail());
  const names = new Set<string>();
  for (const line of out().split('\n')) {
    const m = /^\s*[VAS][F.][S.][X.][B.][D.]\s+(\S+)/.exec(line);
    if (m?.[1]) names.add(m[1]);
  }
  return names;
}
