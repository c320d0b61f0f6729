// Where whisper.cpp runs for a Transcriber. Preferably in a child process (whisper-host.ts) that an
// abort kills, so the CPU is free at once and the next job starts at once: the prebuilt addon's
// stop() does neither (measured: a stopped 30 s window kept computing to its end and its promise
// never settled). In-process only when no host can start (a packaging without the host file) or
// when a test injects a fake addon.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { extname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  releaseNativeLog,
  retainNativeLog,
  type WhisperAddon,
  type WhisperTranscribeOptions,
  type WhisperTranscribeResult,
} from './whisper-addon.js';
import { WHISPER_HOST_ARG, type FromHost, type ToHost } from './whisper-host-protocol.js';

export interface WhisperEngineJob {
  promise: Promise<WhisperTranscribeResult>;
  /** Stops the job; `promise` then rejects (host) or settles whenever the addon lets it. */
  cancel(): void;
}

export interface WhisperEngine {
  readonly packageName: string;
  /** True when cancel() stops the computation at once. */
  readonly interruptible: boolean;
  /** The host child process, when the engine runs in one. */
  readonly pid?: number;
  transcribe(pcm16: Int16Array, options: WhisperTranscribeOptions): WhisperEngineJob;
  release(): Promise<void>;
}

export class EngineCancelledError extends Error {
  constructor() {
    super('transcription cancelled');
  }
}

/** The addon's context in this process (fake addons in tests; packagings without a host). */
export async function inProcessEngine(
  addon: WhisperAddon,
  modelPath: string,
): Promise<WhisperEngine> {
  retainNativeLog(addon);
  let ctx;
  try {
    // The constructor may return a promise (newer addon builds load asynchronously).
    ctx = await new addon.WhisperContext({ filePath: modelPath, useGpu: false });
  } catch (err) {
    releaseNativeLog(addon);
    throw err;
  }
  const context = ctx;
  return {
    packageName: addon.packageName,
    interruptible: false,
    transcribe(pcm16, options) {
      const buffer = pcm16.buffer.slice(pcm16.byteOffset, pcm16.byteOffset + pcm16.byteLength);
      const job = context.transcribeData(buffer as ArrayBuffer, options);
      return { promise: job.promise, cancel: () => void job.stop().catch(() => undefined) };
    },
    async release() {
      try {
        await context.release();
      } finally {
        releaseNativeLog(addon);
      }
    },
  };
}

export type WhisperHostLauncher = () => ChildProcess;

/**
 * How to start the host wherever this module runs: from TypeScript sources (tsx), compiled or
 * bundled JS with whisper-host next to it (unpacked from an asar archive), or, inside the desktop
 * app where Node is the app executable itself, that executable in its host mode.
 */
export function defaultHostLauncher(here = import.meta.url): WhisperHostLauncher | undefined {
  const ext = extname(new URL(here).pathname);
  const opts = {
    serialization: 'advanced' as const,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'] as const,
  };
  if (ext === '.ts') {
    const entry = fileURLToPath(new URL('./whisper-host.ts', here));
    return () =>
      fork(entry, [], { ...opts, stdio: [...opts.stdio], execArgv: ['--import', 'tsx'] });
  }
  const file = fileURLToPath(new URL(`./whisper-host${ext}`, here)).replace(
    `.asar${sep}`,
    `.asar.unpacked${sep}`,
  );
  if (process.versions.electron) {
    // The daemon runs as `<app> [app path] --retaia-daemon`; the host is `<app> [app path] --retaia-whisper-host`.
    const appArgs = process.argv
      .slice(1)
      .filter((a) => a.startsWith('--') === false)
      .slice(0, 1);
    return () =>
      spawn(process.execPath, [...appArgs, WHISPER_HOST_ARG], { ...opts, stdio: [...opts.stdio] });
  }
  if (!existsSync(file)) return undefined;
  return () => fork(file, [], { ...opts, stdio: [...opts.stdio] });
}

/** A host that has not said hello by then never will (no IPC in this packaging). */
const HOST_START_MS = 15_000;

/** Starts a host child process and loads the model in it. */
export async function hostEngine(
  launcher: WhisperHostLauncher,
  modelPath: string,
): Promise<WhisperEngine> {
  const child = launcher();
  const pending = new Map<
    number,
    {
      resolve: (r: WhisperTranscribeResult) => void;
      reject: (e: Error) => void;
      onProgress?: (p: number) => void;
    }
  >();
  let exited = false;
  let nextId = 1;
  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  child.on('exit', (code, signal) => {
    exited = true;
    failAll(new Error(`whisper host exited (${signal ?? `code ${code}`})`));
  });
  const packageName = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('whisper host did not start'));
    }, HOST_START_MS);
    const onMessage = (m: FromHost) => {
      if (m.type === 'loaded' || m.type === 'load-failed') {
        clearTimeout(timer);
        child.off('message', onMessage);
        if (m.type === 'loaded') resolve(m.engine);
        else {
          child.kill('SIGKILL');
          reject(new Error(m.message));
        }
      }
    };
    child.on('message', onMessage);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error('whisper host exited while loading the model'));
    });
    child.send({ type: 'load', modelPath } satisfies ToHost);
  });
  child.on('message', (m: FromHost) => {
    if (m.type === 'loaded' || m.type === 'load-failed') return;
    const p = pending.get(m.id);
    if (!p) return;
    if (m.type === 'progress') return p.onProgress?.(m.percent);
    pending.delete(m.id);
    if (m.type === 'result') p.resolve(m.result);
    else p.reject(new Error(m.message));
  });
  return {
    packageName,
    interruptible: true,
    ...(child.pid ? { pid: child.pid } : {}),
    transcribe(pcm16, options) {
      const id = nextId++;
      const { onProgress, ...rest } = options;
      const promise = new Promise<WhisperTranscribeResult>((resolve, reject) => {
        if (exited) return reject(new Error('whisper host is gone'));
        pending.set(id, { resolve, reject, ...(onProgress ? { onProgress } : {}) });
        child.send({
          type: 'transcribe',
          id,
          pcm16,
          options: { language: 'auto', maxThreads: 1, ...rest },
        } satisfies ToHost);
      });
      return {
        promise,
        cancel: () => {
          const p = pending.get(id);
          pending.delete(id);
          p?.reject(new EngineCancelledError());
          child.kill('SIGKILL');
        },
      };
    },
    async release() {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    },
  };
}
