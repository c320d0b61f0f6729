// The one module that talks to the whisper.cpp engine. A Transcriber holds one loaded ggml model
// and turns 16 kHz mono float PCM into text. Calls are serialized (a whisper context is not
// re-entrant). Everything else in the agent goes through this class.
import { availableParallelism } from 'node:os';
import { ProcessingAbortedError, ProcessingError } from '../processor.js';
import { readGgmlWhisperHeader, type GgmlWhisperHeader } from './ggml-model-header.js';
import {
  loadWhisperAddon,
  type WhisperAddonLoad,
  type WhisperTranscribeResult,
} from './whisper-addon.js';
import {
  defaultHostLauncher,
  EngineCancelledError,
  hostEngine,
  inProcessEngine,
  type WhisperEngine,
  type WhisperEngineJob,
  type WhisperHostLauncher,
} from './whisper-engine.js';
import type { WhisperTokenSegment } from './transcript-stitcher.js';

export const WHISPER_SAMPLE_RATE = 16_000;

export const TRANSCRIPTION_ERROR_CODES = {
  engineUnavailable: 'ENGINE_UNAVAILABLE',
  modelMissing: 'MODEL_MISSING',
  modelInvalid: 'MODEL_INVALID',
  modelLoadFailed: 'MODEL_LOAD_FAILED',
  failed: 'TRANSCRIPTION_FAILED',
} as const;

export interface TranscriberOptions {
  modelPath: string;
  /** CPU threads per transcription (default: all cores, at most 8). */
  threads?: number;
  /** For tests: pretend the addon is (un)available; an injected addon runs in this process. */
  loadAddon?: () => WhisperAddonLoad;
  /** How to start the whisper host child process (default: next to this module). */
  hostLauncher?: WhisperHostLauncher;
}

export interface TranscribeOptions {
  /** ISO 639-1 code, or 'auto' (default) to let whisper detect it. */
  language?: string;
  /** Text the decoder should continue from (e.g. the end of the previous window). */
  prompt?: string;
  signal?: AbortSignal;
  /** 0..1 within this call. */
  onProgress?: (fraction: number) => void;
  /** Ask for token-level segments with times (for stitching overlapping windows). */
  wordTimestamps?: boolean;
}

export interface TranscribeResult {
  text: string;
  /** Detected (auto) or requested language code; undefined when whisper did not say. */
  language?: string;
  /** Token segments with times in ms from the start of the buffer (with `wordTimestamps`). */
  segments?: WhisperTokenSegment[];
}

const LANGUAGE_RE = /^(auto|[a-z]{2,3})$/;

export class Transcriber {
  private queue: Promise<unknown> = Promise.resolve();
  /** Settles when the engine is really idle (an in-process aborted call keeps running a while). */
  private engineIdle: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    /** undefined after a host was killed by an abort: the next call starts a fresh one. */
    private current: Promise<WhisperEngine> | undefined,
    private readonly startEngine: () => Promise<WhisperEngine>,
    readonly modelPath: string,
    readonly header: GgmlWhisperHeader,
    readonly engine: string,
    readonly loadMs: number,
    private readonly threads: number,
  ) {}

  /**
   * Validates the model file, checks the engine addon and loads the model (in the whisper host
   * child process when one can start). Failures are retryable ProcessingErrors: they are this
   * agent's setup, never the media's fault.
   */
  static async load(opts: TranscriberOptions): Promise<Transcriber> {
    const started = performance.now();
    const loaded = (opts.loadAddon ?? loadWhisperAddon)();
    if (!loaded.addon) {
      throw new ProcessingError(TRANSCRIPTION_ERROR_CODES.engineUnavailable, loaded.problem, true);
    }
    let header: GgmlWhisperHeader;
    try {
      header = await readGgmlWhisperHeader(opts.modelPath);
    } catch (err) {
      const missing = /ENOENT/.test((err as Error).message);
      throw new ProcessingError(
        missing ? TRANSCRIPTION_ERROR_CODES.modelMissing : TRANSCRIPTION_ERROR_CODES.modelInvalid,
        (err as Error).message,
        true,
        { cause: err },
      );
    }
    // An injected addon (tests) runs in this process; the real one in a killable host.
    const launcher = opts.loadAddon ? undefined : (opts.hostLauncher ?? defaultHostLauncher());
    const addon = loaded.addon;
    const startEngine = async (): Promise<WhisperEngine> => {
      try {
        if (launcher) {
          return await hostEngine(launcher, opts.modelPath).catch((err: Error) => {
            // A model the host cannot load fails the same in-process: report that, do not retry.
            if (/whisper host (did not start|exited while)/.test(err.message)) {
              return inProcessEngine(addon, opts.modelPath);
            }
            throw err;
          });
        }
        return await inProcessEngine(addon, opts.modelPath);
      } catch (err) {
        throw new ProcessingError(
          TRANSCRIPTION_ERROR_CODES.modelLoadFailed,
          `whisper.cpp could not load model ${opts.modelPath}: ${(err as Error).message}`,
          true,
          { cause: err },
        );
      }
    };
    const first = await startEngine();
    const threads = opts.threads ?? Math.max(1, Math.min(8, availableParallelism()));
    return new Transcriber(
      Promise.resolve(first),
      startEngine,
      opts.modelPath,
      header,
      first.packageName,
      performance.now() - started,
      threads,
    );
  }

  /**
   * Transcribes one buffer of 16 kHz mono float PCM (callers window long audio themselves).
   * On abort it rejects at once with ProcessingAbortedError and the engine stops: the host is
   * killed and the next call starts a new one.
   */
  transcribe(pcm: Float32Array, opts: TranscribeOptions = {}): Promise<TranscribeResult> {
    if (this.closed) {
      return Promise.reject(
        new ProcessingError(
          TRANSCRIPTION_ERROR_CODES.engineUnavailable,
          'transcriber is closed',
          true,
        ),
      );
    }
    const language = opts.language ?? 'auto';
    if (!LANGUAGE_RE.test(language)) {
      return Promise.reject(
        new ProcessingError(
          TRANSCRIPTION_ERROR_CODES.failed,
          `invalid language "${language}": use 'auto' or an ISO 639-1 code such as 'en'`,
          false,
        ),
      );
    }
    const run = this.queue.then(() => this.engineIdle).then(() => this.runOne(pcm, language, opts));
    // Keep the queue alive after failures; waiters see their own outcome via `run`.
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runOne(
    pcm: Float32Array,
    language: string,
    opts: TranscribeOptions,
  ): Promise<TranscribeResult> {
    const { signal } = opts;
    if (signal?.aborted) throw new ProcessingAbortedError(signal.reason);
    this.current ??= this.startEngine();
    const engine = await this.current;
    let job: WhisperEngineJob;
    try {
      job = engine.transcribe(toPcm16(pcm), {
        language,
        maxThreads: this.threads,
        ...(opts.prompt ? { prompt: opts.prompt } : {}),
        ...(opts.wordTimestamps ? { maxLen: 1, tokenTimestamps: true } : {}),
        ...(opts.onProgress
          ? { onProgress: (p: number) => opts.onProgress?.(Math.min(1, Math.max(0, p / 100))) }
          : {}),
      });
    } catch (err) {
      throw new ProcessingError(
        TRANSCRIPTION_ERROR_CODES.failed,
        `whisper.cpp refused the audio: ${(err as Error).message}`,
        true,
        { cause: err },
      );
    }
    const native = job.promise;
    this.engineIdle = native.catch(() => undefined);
    if (!signal) return this.finish(await native.catch((err) => this.failure(err)), language);

    // Race the job against the abort signal so the caller is released promptly.
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        job.cancel();
        if (engine.interruptible) {
          // The host is dead: nothing to wait for, and the next call needs a new one.
          this.engineIdle = Promise.resolve();
          this.current = undefined;
        }
        reject(new ProcessingAbortedError(signal.reason));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const result = await Promise.race([
        native.catch((err) => this.failure(err, signal)),
        aborted,
      ]);
      return this.finish(result, language);
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  }

  private failure(err: unknown, signal?: AbortSignal): never {
    if (signal?.aborted || err instanceof EngineCancelledError) {
      throw new ProcessingAbortedError(signal?.reason);
    }
    throw new ProcessingError(
      TRANSCRIPTION_ERROR_CODES.failed,
      `whisper.cpp failed: ${(err as Error).message}`,
      true,
      {
        cause: err,
      },
    );
  }

  private finish(result: WhisperTranscribeResult, language: string): TranscribeResult {
    const detected = result.language || (language !== 'auto' ? language : undefined);
    return {
      text: result.result.trim(),
      ...(detected ? { language: detected } : {}),
      ...(result.segments?.length ? { segments: result.segments } : {}),
    };
  }

  /** The whisper host's process id (undefined in-process, or between an abort and the next call). */
  async enginePid(): Promise<number | undefined> {
    return (await this.current?.catch(() => undefined))?.pid;
  }

  /** Waits for any running call, then frees the model. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.engineIdle;
    const engine = await this.current?.catch(() => undefined);
    this.current = undefined;
    await engine?.release();
  }
}

/** whisper.cpp's addon takes signed 16-bit PCM; clip instead of wrapping on overs. */
export function toPcm16(pcm: Float32Array): Int16Array {
  const out = new Int16Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) {
    const v = pcm[i]!;
    out[i] = v >= 1 ? 32767 : v <= -1 ? -32768 : Math.round(v * 32767);
  }
  return out;
}
