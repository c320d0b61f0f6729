// A small pool of worker threads for CPU-heavy photo work (image-worker.ts). A 12 MP HEIC takes
// 1–3 s of WASM decoding; on the main thread that froze heartbeats, the control API and the
// desktop app. Bounded (never more workers than `maxWorkers`; extra tasks queue), idle workers
// are terminated, an AbortSignal cancels a queued task or terminates the worker running it
// (WASM cannot be interrupted otherwise), and every failure reaches callers as the same typed
// ProcessingError the processors already throw. See docs/photo-pipeline.md.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, extname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ProcessingAbortedError, ProcessingError } from '../processor.js';
import type { WorkerReply, WorkerRequest } from './image-worker-protocol.js';

type Request = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

export interface ImageWorkerPoolOptions {
  /** Upper bound of concurrent workers (default: cores − 1, at most 2: each holds a WASM heap). */
  maxWorkers?: number;
  /** A worker idle this long is terminated (default 15 s). */
  idleMs?: number;
  /** One task may not run longer (default 120 s): a pathological file must not hold a job. */
  taskTimeoutMs?: number;
  /**
   * URL of the module that stands for this one when locating the worker file (tests: a bundle
   * without image-worker next to it). Default: this module's own URL.
   */
  locateFrom?: string;
  /** Run every task on the calling thread: the behaviour before the pool (bench baseline). */
  inProcess?: boolean;
}

interface Task {
  id: number;
  request: Request;
  resolve(value: unknown): void;
  reject(err: Error): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Slot {
  worker: Worker;
  task?: Task;
  timer?: NodeJS.Timeout;
}

/**
 * How to start the worker wherever this module runs: from TypeScript sources (tsx: the worker
 * needs the loader registered in its own thread), compiled to .js, or inside the desktop app's
 * esbuild bundle, where build.mjs emits image-worker.cjs next to daemon.cjs and electron-builder
 * unpacks it from the asar archive (a worker script cannot be loaded from inside an archive).
 */
function workerSource(here = import.meta.url): { source: string | URL; eval: boolean } | undefined {
  const ext = extname(new URL(here).pathname);
  if (ext === '.ts') {
    const tsx = tsxEsmApiUrl();
    const entry = new URL('./image-worker.ts', here).href;
    const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    return { source: code, eval: true };
  }
  const file = fileURLToPath(new URL(`./image-worker${ext}`, here)).replace(
    `.asar${sep}`,
    `.asar.unpacked${sep}`,
  );
  return existsSync(file) ? { source: file, eval: false } : undefined;
}

/**
 * URL of tsx's ESM register API, read from tsx's export map (`import.meta.resolve` would do, but
 * the desktop bundle is CommonJS, where esbuild cannot keep `import.meta`).
 */
function tsxEsmApiUrl(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const exports = (
    require(manifest) as { exports: Record<string, { import: { default: string } }> }
  ).exports;
  return pathToFileURL(join(dirname(manifest), exports['./esm/api']!.import.default)).href;
}

export class ImageWorkerPool {
  private readonly maxWorkers: number;
  private readonly idleMs: number;
  private readonly taskTimeoutMs: number;
  private readonly slots = new Set<Slot>();
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  private readonly worker: ReturnType<typeof workerSource>;
  private readonly warnInProcess: boolean;

  constructor(opts: ImageWorkerPoolOptions = {}) {
    this.maxWorkers = Math.max(1, opts.maxWorkers ?? Math.min(2, availableParallelism() - 1));
    this.idleMs = opts.idleMs ?? 15_000;
    this.taskTimeoutMs = opts.taskTimeoutMs ?? 120_000;
    this.worker = opts.inProcess ? undefined : workerSource(opts.locateFrom);
    this.warnInProcess = !opts.inProcess;
  }

  /** False when no worker file ships next to this code: tasks then run on the main thread. */
  get usesWorkers(): boolean {
    return this.worker !== undefined;
  }

  /** Workers alive right now (tests, diagnostics). */
  get size(): number {
    return this.slots.size;
  }

  run<T>(request: Request, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new ProcessingAbortedError(signal.reason));
    if (this.closed) {
      return Promise.reject(
        new ProcessingError('IMAGE_TOOL_UNAVAILABLE', 'the image worker pool is shut down', true),
      );
    }
    if (!this.worker) return this.runInProcess<T>(request);
    return new Promise<T>((resolve, reject) => {
      const task: Task = {
        id: this.nextId++,
        request,
        resolve: resolve as (v: unknown) => void,
        reject,
        ...(signal ? { signal } : {}),
      };
      if (signal) {
        task.onAbort = () => this.abort(task);
        signal.addEventListener('abort', task.onAbort, { once: true });
      }
      this.queue.push(task);
      this.dispatch();
    });
  }

  /**
   * A packaging that did not ship image-worker next to its bundle still works, only without the
   * event-loop protection; say so once.
   */
  private async runInProcess<T>(request: Request): Promise<T> {
    if (this.warnInProcess && !warnedInProcess) {
      warnedInProcess = true;
      process.emitWarning(
        'image worker file not found next to the agent code: HEIC/RAW decoding runs on the main thread',
        { code: 'RETAIA_IMAGE_WORKER_MISSING' },
      );
    }
    const { runImageTask } = await import('./image-worker-tasks.js');
    const reply = await runImageTask({ ...request, id: 0 });
    if (reply.ok) return reply.result as T;
    const { code, message, retryable } = reply.error;
    throw new ProcessingError(code, message, retryable);
  }

  /** Terminates every worker and fails queued tasks; the pool refuses work afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) {
      this.settle(
        task,
        new ProcessingError('IMAGE_TOOL_UNAVAILABLE', 'image worker pool closed', true),
      );
    }
    await Promise.all([...this.slots].map((slot) => this.kill(slot, undefined)));
  }

  private dispatch(): void {
    while (this.queue.length) {
      let slot = [...this.slots].find((s) => !s.task);
      if (!slot) {
        if (this.slots.size >= this.maxWorkers) return;
        slot = this.spawn();
      }
      const task = this.queue.shift()!;
      slot.task = task;
      clearTimeout(slot.timer);
      slot.worker.ref();
      slot.timer = setTimeout(() => {
        void this.kill(
          slot,
          new ProcessingError(
            'IMAGE_TIMEOUT',
            `image decoding took longer than ${Math.round(this.taskTimeoutMs / 1000)} s and was stopped: ${task.request.path}`,
            true,
          ),
        );
      }, this.taskTimeoutMs);
      slot.worker.postMessage({ ...task.request, id: task.id });
    }
  }

  private spawn(): Slot {
    const { source, eval: isEval } = this.worker!;
    const worker = new Worker(source, { eval: isEval });
    const slot: Slot = { worker };
    this.slots.add(slot);
    worker.on('message', (reply: WorkerReply) => {
      const task = slot.task;
      if (!task || task.id !== reply.id) return;
      slot.task = undefined;
      clearTimeout(slot.timer);
      if (reply.ok) this.settle(task, undefined, reply.result);
      else {
        const { code, message, retryable } = reply.error;
        this.settle(task, new ProcessingError(code, message, retryable));
      }
      this.idle(slot);
      this.dispatch();
    });
    worker.on('error', (err) => {
      const startup = /Cannot find module|ERR_MODULE_NOT_FOUND|Unknown file extension/.test(
        err.message,
      );
      void this.kill(
        slot,
        new ProcessingError(
          startup ? 'IMAGE_TOOL_UNAVAILABLE' : 'IMAGE_DECODER_CRASHED',
          startup
            ? `the image worker could not start (${err.message})`
            : `the image decoder crashed (${err.message})${slot.task ? `: ${slot.task.request.path}` : ''}`,
          true,
          { cause: err },
        ),
      );
    });
    worker.on('exit', (code) => {
      if (!this.slots.has(slot)) return;
      void this.kill(
        slot,
        new ProcessingError(
          'IMAGE_DECODER_CRASHED',
          `the image decoder stopped unexpectedly (exit code ${code})${slot.task ? `: ${slot.task.request.path}` : ''}`,
          true,
        ),
      );
    });
    return slot;
  }

  /** An idle worker does not keep the process alive and goes away after idleMs. */
  private idle(slot: Slot): void {
    slot.worker.unref();
    slot.timer = setTimeout(() => void this.kill(slot, undefined), this.idleMs);
    slot.timer.unref();
  }

  private abort(task: Task): void {
    const queued = this.queue.indexOf(task);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.settle(task, new ProcessingAbortedError(task.signal?.reason));
      return;
    }
    const slot = [...this.slots].find((s) => s.task === task);
    if (slot) void this.kill(slot, new ProcessingAbortedError(task.signal?.reason));
  }

  /** Removes the worker; its running task (if any) fails with `err`. */
  private async kill(slot: Slot, err: Error | undefined): Promise<void> {
    if (!this.slots.delete(slot)) return;
    clearTimeout(slot.timer);
    const task = slot.task;
    slot.task = undefined;
    if (task) {
      this.settle(
        task,
        err ?? new ProcessingError('IMAGE_TOOL_UNAVAILABLE', 'image worker pool closed', true),
      );
    }
    await slot.worker.terminate().catch(() => undefined);
    if (!this.closed) this.dispatch();
  }

  private settle(task: Task, err: Error | undefined, value?: unknown): void {
    if (task.onAbort) task.signal?.removeEventListener('abort', task.onAbort);
    if (err) task.reject(err);
    else task.resolve(value);
  }
}

let warnedInProcess = false;
let shared: ImageWorkerPool | undefined;

/** The daemon-wide pool, created on first use. */
export function imageWorkers(): ImageWorkerPool {
  shared ??= new ImageWorkerPool();
  return shared;
}

/** Replaces the daemon-wide pool (bench: main-thread baseline); returns the previous one. */
export function setImageWorkers(pool: ImageWorkerPool): ImageWorkerPool | undefined {
  const previous = shared;
  shared = pool;
  return previous;
}
