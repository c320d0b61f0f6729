// The only place that loads the whisper.cpp native addon. We depend directly on the CPU-only
// prebuilt platform packages of @fugood/whisper.node (`@fugood/node-whisper-<os>-<arch>`, all
// optionalDependencies, no install script) rather than on the umbrella package, which would also
// pull ~240 MB of CUDA/Vulkan variants on Linux. One addon is loaded per process and cached.
import { createRequire } from 'node:module';

export interface WhisperTranscribeOptions {
  language?: string;
  maxThreads?: number;
  prompt?: string;
  temperatureInc?: number;
  /** 1 with tokenTimestamps: one segment per token, each with its own times. */
  maxLen?: number;
  tokenTimestamps?: boolean;
  onProgress?: (progress: number) => void;
}

export interface WhisperTranscribeResult {
  language?: string;
  result: string;
  segments: Array<{ text: string; t0: number; t1: number }>;
  isAborted: boolean;
}

export interface WhisperJob {
  stop(): Promise<void>;
  promise: Promise<WhisperTranscribeResult>;
}

/** The subset of the addon's WhisperContext we use. */
export interface WhisperNativeContext {
  /** 16-bit little-endian mono PCM at 16 kHz. */
  transcribeData(pcm16: ArrayBuffer, options?: WhisperTranscribeOptions): WhisperJob;
  release(): Promise<void>;
}

export interface WhisperAddon {
  packageName: string;
  WhisperContext: {
    new (options: {
      filePath: string;
      useGpu?: boolean;
      useFlashAttn?: boolean;
    }): WhisperNativeContext;
    toggleNativeLog(enable: boolean, callback?: (level: string, text: string) => void): void;
  };
}

export type WhisperAddonLoad =
  { addon: WhisperAddon; problem?: undefined } | { addon?: undefined; problem: string };

export function whisperAddonPackageName(
  platform: string = process.platform,
  arch: string = process.arch,
): string {
  return `@fugood/node-whisper-${platform}-${arch}`;
}

let cached: WhisperAddonLoad | undefined;

/**
 * Loads the prebuilt addon for this platform once. Never throws: a missing or broken addon is a
 * `problem` string (the capability is then not declared and jobs fail retryably).
 */
export function loadWhisperAddon(): WhisperAddonLoad {
  if (cached) return cached;
  const packageName = whisperAddonPackageName();
  try {
    const req = createRequire(import.meta.url);
    const mod = req(packageName) as Partial<WhisperAddon>;
    if (typeof mod.WhisperContext !== 'function') {
      cached = { problem: `${packageName} does not export WhisperContext (incompatible version?)` };
    } else {
      cached = { addon: { packageName, WhisperContext: mod.WhisperContext } };
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    cached = {
      problem:
        code === 'MODULE_NOT_FOUND'
          ? `whisper.cpp engine not installed: ${packageName} is missing (no prebuilt engine for ` +
            `${process.platform}-${process.arch}, or optional dependencies were omitted at install)`
          : `whisper.cpp engine ${packageName} failed to load: ${(err as Error).message}`,
    };
  }
  return cached;
}

// whisper.cpp prints its model-loading chatter to stderr unless a log callback is installed, and
// the daemon's output must stay JSON. The addon's callback is a thread-safe function that keeps
// the event loop alive, so it is installed only while at least one model is loaded.
let nativeLogUsers = 0;
let nativeLogSink: ((level: string, text: string) => void) | undefined;

/** Where whisper.cpp's own log lines go (default: dropped). */
export function setWhisperNativeLogSink(
  sink: ((level: string, text: string) => void) | undefined,
): void {
  nativeLogSink = sink;
}

export function retainNativeLog(addon: WhisperAddon): void {
  if (nativeLogUsers++ === 0) {
    addon.WhisperContext.toggleNativeLog(true, (level, text) => nativeLogSink?.(level, text));
  }
}

export function releaseNativeLog(addon: WhisperAddon): void {
  if (nativeLogUsers > 0 && --nativeLogUsers === 0) addon.WhisperContext.toggleNativeLog(false);
}
