// Group commit on a real SQLite file: operations of one event-loop turn share a transaction yet
// keep their own outcome, see each other's writes in order, and are answered only after commit.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { inGroupCommit, setGroupCommit } from './group-commit.js';

function openDb() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'group-commit-'));
  const db = new Database(path.join(dir, 'x.sqlite'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  return { db, dispose: () => (db.close(), rmSync(dir, { recursive: true, force: true })) };
}

for (const grouped of [true, false]) {
  test(`${grouped ? 'shared' : 'separate'} commits: failures stay per operation, order is kept`, async () => {
    const { db, dispose } = openDb();
    try {
      setGroupCommit(db, grouped);
      const insert = (k: string) => db.prepare('INSERT INTO t (k, v) VALUES (?, 1)').run(k);
      let commitsSeen = 0;
      const seen = () => {
        // Another connection sees only committed rows.
        const other = new Database(db.name, { readonly: true });
        const n = (other.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
        other.close();
        return n;
      };
      const results = await Promise.allSettled([
        inGroupCommit(db, () => insert('a')),
        // Writes in its own savepoint, then fails: only its writes are undone.
        inGroupCommit(db, () =>
          db.transaction(() => {
            insert('b');
            throw new Error('refused');
          })(),
        ),
        // Sees 'a' (queued before it): a duplicate key fails, its savepoint undoes nothing else.
        inGroupCommit(db, () => db.transaction(() => insert('a'))()),
        // Writes outside a savepoint, then fails: that write is kept (how a nonce stays spent).
        inGroupCommit(db, () => {
          insert('spent');
          throw new Error('after spending');
        }),
        inGroupCommit(db, () => {
          commitsSeen = seen();
          return insert('c');
        }),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled'],
      );
      assert.match(String((results[2] as PromiseRejectedResult).reason), /UNIQUE/);
      const keys = (db.prepare('SELECT k FROM t ORDER BY k').all() as { k: string }[]).map(
        (r) => r.k,
      );
      assert.deepEqual(keys, ['a', 'c', 'spent']);
      assert.equal(seen(), 3, 'everything answered is committed');
      // Inside a shared batch nothing of it is visible to others before the commit; with
      // separate commits the earlier operations are.
      assert.equal(commitsSeen, grouped ? 0 : 2);
    } finally {
      dispose();
    }
  });
}
