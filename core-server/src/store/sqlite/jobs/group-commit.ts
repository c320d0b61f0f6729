// Group commit for the hot signed job writes: operations queued during the same turn of the
// event loop run in ONE immediate transaction, each inside its own savepoint, and their promises
// settle only after that transaction committed. With 50 agents claiming and submitting, several
// requests arrive per turn; each used to pay a commit (BEGIN IMMEDIATE + WAL frames + COMMIT,
// the largest single cost of a claim+submit — docs/core-performance.md).
//
// Per operation nothing changes: it sees the writes of the operations queued before it (same
// order as separate transactions would run them) and is answered only once durable. An
// operation must undo its own writes when it throws (run them in a nested db.transaction, i.e.
// a savepoint): what it leaves behind is committed with the batch — which is how a failed
// signed write still spends its nonce. If the shared COMMIT itself fails, every operation of
// the batch fails with that error, as each would have on its own.
import type { Database } from 'better-sqlite3';
import { transactionPerConnection } from './transaction-per-connection.js';

interface Queued {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

const queues = new WeakMap<Database, Queued[]>();
const disabled = new WeakSet<Database>();

/** Benches compare with and without; everything else uses group commit. */
export function setGroupCommit(db: Database, enabled: boolean): void {
  if (enabled) disabled.delete(db);
  else disabled.add(db);
}

export function inGroupCommit<T>(db: Database, op: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const queued = { run: op, resolve: resolve as (v: unknown) => void, reject };
    if (disabled.has(db)) return commit(db, [queued]);
    let queue = queues.get(db);
    if (!queue) queues.set(db, (queue = []));
    queue.push(queued);
    if (queue.length === 1) {
      setImmediate(() => {
        queues.delete(db);
        commit(db, queue);
      });
    }
  });
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const runBatch = transactionPerConnection((_db, batch: Queued[], outcomes: Outcome[]) => {
  for (const op of batch) {
    try {
      outcomes.push({ ok: true, value: op.run() });
    } catch (error) {
      outcomes.push({ ok: false, error });
    }
  }
});

function commit(db: Database, batch: Queued[]): void {
  const outcomes: Outcome[] = [];
  try {
    runBatch(db).immediate(batch, outcomes);
  } catch (err) {
    for (const op of batch) op.reject(err);
    return;
  }
  batch.forEach((op, i) => {
    const o = outcomes[i]!;
    if (o.ok) op.resolve(o.value);
    else op.reject(o.error);
  });
}
