// Process supervision shared by every ffmpeg/ffprobe call: spawn with an optional read-only
// source descriptor, keep a bounded stderr tail, abort → SIGTERM then SIGKILL after a short
// grace, and turn an exit into a ProcessingError with the right `retryable`.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { ProcessingAbortedError, ProcessingError } from '../processor.js';

/** Error codes produced by the ffmpeg tools (and reused by the processors). */
export const FFMPEG_ERROR_CODES = {
  unavailable: 'FFMPEG_UNAVAILABLE',
  failed: 'FFMPEG_FAILED',
  unreadable: 'MEDIA_UNREADABLE',
  empty: 'MEDIA_EMPTY',
  noStream: 'NO_DECODABLE_STREAM',
  /** A playlist or other indirection format: it would make ffmpeg read other files. */
  refused: 'MEDIA_FORMAT_REFUSED',
  /** The content is of another kind than the name says (a JPEG named .mov). */
  mislabelled: 'MEDIA_MISLABELLED',
} as const;

const KILL_GRACE_MS = 400;
const STDERR_TAIL_CHARS = 4000;

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: Error;
}

export interface Supervised {
  child: ChildProcess;
  /** Resolves once the process has exited (never rejects). */
  exited: Promise<ExitResult>;
  stderrTail(): string;
  /** True when the exit was caused by our own kill (abort or early stop). */
  killedByUs(): boolean;
  kill(): void;
}

/**
 * Spawns `bin`. `sourceFd`, when given, becomes the child's descriptor 3 (see media-input.ts);
 * the caller may close its own copy as soon as this returns. `extraPipes` readable pipes follow
 * as descriptors 4, 5… (`child.stdio[4]`…), for ffmpeg outputs such as `pipe:4`.
 */
export function supervise(
  bin: string,
  args: string[],
  signal: AbortSignal | undefined,
  sourceFd?: number,
  extraPipes = 0,
): Supervised {
  const stdio: StdioOptions = ['ignore', 'pipe', 'pipe'];
  if (sourceFd !== undefined || extraPipes > 0) stdio.push(sourceFd ?? 'ignore');
  for (let i = 0; i < extraPipes; i++) stdio.push('pipe');
  const child = spawn(bin, args, { stdio, windowsHide: true });
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
  const exited = new Promise<ExitResult>((resolve) => {
    child.once('error', (err) => resolve({ code: null, signal: null, spawnError: err }));
    child.once('close', (code, sig) => resolve({ code, signal: sig }));
  }).finally(() => {
    if (graceTimer) clearTimeout(graceTimer);
    signal?.removeEventListener('abort', onAbort);
  });
  return { child, exited, stderrTail: () => tail, killedByUs: () => ours, kill };
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ProcessingAbortedError(signal.reason);
}

/** Collects a child's stdout as text. */
export function collectStdout(proc: Supervised): () => string {
  let out = '';
  proc.child.stdout?.setEncoding('utf8');
  proc.child.stdout?.on('data', (s: string) => {
    out += s;
  });
  return () => out;
}

/** Last meaningful stderr lines, for operator-facing messages. */
export function summarizeStderr(tail: string): string {
  const lines = tail
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(-3).join(' | ').slice(0, 600);
}

// I/O and resource trouble is worth a retry; anything else is the input's fault.
const TRANSIENT_STDERR =
  /Input\/output error|Resource temporarily unavailable|Cannot allocate memory|No space left|Stale file handle/i;

export function failureFromExit(
  tool: 'ffmpeg' | 'ffprobe',
  result: ExitResult,
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
    const why = result.signal === 'SIGSEGV' ? 'crashed' : 'out of memory?';
    return new ProcessingError(
      FFMPEG_ERROR_CODES.failed,
      `${tool} was killed by ${result.signal} (${why})${summary ? `: ${summary}` : ''}`,
      true,
    );
  }
  return new ProcessingError(
    tool === 'ffprobe' ? FFMPEG_ERROR_CODES.unreadable : FFMPEG_ERROR_CODES.failed,
    `${tool} exited with code ${result.code}${summary ? `: ${summary}` : ''}`,
    TRANSIENT_STDERR.test(tail),
  );
}
