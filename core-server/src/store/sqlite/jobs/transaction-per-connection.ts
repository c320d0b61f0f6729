// Why: `db.transaction(fn)` builds a new wrapper (with its deferred/immediate/exclusive
// variants) on every call. Built per request on the hot job path, that was ~2.5 % of the
// server's CPU under agent load (docs/core-performance.md). One wrapper per connection, with
// what changes per call passed as arguments, costs nothing after the first call.
import type { Database, Transaction } from 'better-sqlite3';

export function transactionPerConnection<A extends unknown[], R>(
  body: (db: Database, ...args: A) => R,
): (db: Database) => Transaction<(...args: A) => R> {
  const built = new WeakMap<Database, Transaction<(...args: A) => R>>();
  return (db) => {
    let tx = built.get(db);
    if (!tx) {
      tx = db.transaction((...args: A) => body(db, ...args));
      built.set(db, tx);
    }
    return tx;
  };
}
