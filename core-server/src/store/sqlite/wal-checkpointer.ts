// WAL checkpoints on a thread of their own, so that no request waits for the disk.
//
// By default SQLite checkpoints inside the COMMIT that takes the WAL past 1,000 pages: that
// commit copies the WAL back into the database file and waits for two fsyncs, all on the
// event loop. Under agent load that was one commit in ten, each holding every request in flight
// up for 24–35 ms on the development VM's disk (longer on a NAS's spinning disks), the largest
// stalls behind the claim and submit p99s (docs/core-performance.md section 16).
//
// Here a worker thread with its own connection runs PASSIVE checkpoints (they never block
// readers or writers) every `intervalMs`, repeating while writers keep adding frames, so the
// WAL is fully copied back between commits and the next writer starts it over from the top.
// The server's connection keeps an automatic checkpoint only as a ceiling (`ceilingPages`): if
// the worker falls behind or fails, the WAL still cannot grow without bound, and everything
// works as before. Durability does not change: a checkpoint only copies committed frames.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';

export interface WalCheckpointerOptions {
  intervalMs?: number;
  /**
   * Start the worker only after this long (SQLite checkpoints as usual until then): a thread
   * costs ~55 ms of CPU to start, which short-lived stores (tests, one-off commands) need not pay.
   */
  startAfterMs?: number;
  /** The server connection's own automatic checkpoint, past this many WAL pages. */
  ceilingPages?: number;
  /** Told once if the worker fails (the server connection then checkpoints as SQLite does). */
  onError?: (err: Error) => void;
}

/** What a server hands its store: where a failed worker is reported. */
export type WalCheckpointerReport = Required<Pick<WalCheckpointerOptions, 'onError'>>;

export interface WalCheckpointer {
  /** Checkpoints that copied pages, and how many pages they copied (as the worker last reported). */
  stats(): { checkpoints: number; pagesCopied: number };
  /** Stops the worker and closes its connection (before the server's, which then checkpoints). */
  close(): Promise<void>;
}

/** SQLite's default automatic checkpoint, given back to the server connection if the worker fails. */
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;
/** Checkpoint rounds per tick while writers keep appending (each round copies what is new). */
const MAX_ROUNDS = 8;

// Plain JavaScript evaluated in the worker: no loader or build step is needed to start it,
// whether this module runs from TypeScript sources or compiled.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
// SQLite's own error class reaches the main thread as a bare { code }: rethrow plain Errors.
const plainly = (what, fn) => {
  try {
    return fn();
  } catch (e) {
    throw new Error(what + ': ' + (e && e.message ? e.message : String(e)) + (e && e.code ? ' (' + e.code + ')' : ''));
  }
};
const db = plainly('cannot open ' + workerData.file, () => new Database(workerData.file, { fileMustExist: true }));
db.pragma('busy_timeout = 0');
const stats = { checkpoints: 0, pagesCopied: 0 };
let copiedOfThisWal = 0; // a WAL started over from the top counts from 0 again
const checkpoint = () => {
  for (let round = 0; round < ${MAX_ROUNDS}; round++) {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    if (r.checkpointed < copiedOfThisWal) copiedOfThisWal = 0;
    if (r.checkpointed > copiedOfThisWal) {
      stats.checkpoints++;
      stats.pagesCopied += r.checkpointed - copiedOfThisWal;
      copiedOfThisWal = r.checkpointed;
      parentPort.postMessage(stats);
    }
    if (r.busy || r.log <= 0 || r.checkpointed >= r.log) return;
  }
};
const timer = setInterval(() => plainly('checkpoint of ' + workerData.file, checkpoint), workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export function startWalCheckpointer(
  db: Database,
  options: WalCheckpointerOptions = {},
): WalCheckpointer {
  const { startAfterMs = 0, ...spawnOptions } = options;
  if (startAfterMs <= 0) return spawnCheckpointer(db, spawnOptions);
  let started: WalCheckpointer | undefined;
  const timer = setTimeout(() => {
    if (db.open) started = spawnCheckpointer(db, spawnOptions);
  }, startAfterMs);
  timer.unref();
  return {
    stats: () => started?.stats() ?? { checkpoints: 0, pagesCopied: 0 },
    async close() {
      clearTimeout(timer);
      await started?.close();
    },
  };
}

function spawnCheckpointer(db: Database, options: WalCheckpointerOptions): WalCheckpointer {
  const { intervalMs = 250, ceilingPages = 16_000, onError } = options;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver, file: db.name, intervalMs },
  });
  worker.unref(); // a server that is done must not be kept alive by its checkpointer
  db.pragma(`wal_autocheckpoint = ${ceilingPages}`);
  let failed = false;
  let stats = { checkpoints: 0, pagesCopied: 0 };
  worker.on('message', (m: typeof stats) => (stats = m));
  worker.on('error', (err) => {
    failed = true;
    if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
    onError?.(err);
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    stats: () => ({ ...stats }),
    async close() {
      worker.ref(); // until it has closed its connection
      if (!failed) worker.postMessage('close');
      await exited;
    },
  };
}
