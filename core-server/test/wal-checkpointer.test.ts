// The server's SQLite WAL is checkpointed by a worker thread (store/sqlite/wal-checkpointer.ts),
// not inside the commit that crosses SQLite's 1,000-page trigger (where it stalled every request
// in flight while it waited for the disk). These tests write real pages through real commits and
// look at the WAL file and at what the worker copied back.
import assert from 'node:assert/strict';
import { existsSync, statSync, unlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { DATABASE_FILE, openDatabase } from '../src/store/sqlite/open-database.js';
import { SqliteCoreStore } from '../src/store/sqlite/sqlite-core-store.js';
import { startWalCheckpointer } from '../src/store/sqlite/wal-checkpointer.js';

const PAGES = 1500; // past SQLite's automatic checkpoint at 1,000 WAL pages

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wal-checkpointer-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** One commit per page-sized row, as a server's stream of small writes. */
function writePages(db: Database.Database, pages: number): void {
  db.exec('CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body BLOB)');
  const insert = db.prepare('INSERT INTO filler (body) VALUES (?)');
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  for (let i = 0; i < pages; i++) insert.run(Buffer.alloc(pageSize - 100, i % 251));
}

/** Frames in the WAL file: a 32-byte header, then a 24-byte header and a page per frame. */
const walPages = (db: Database.Database) =>
  (statSync(`${db.name}-wal`).size - 32) /
  ((db.pragma('page_size', { simple: true }) as number) + 24);

async function until(what: string, done: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('with the checkpointer, no commit checkpoints: the WAL grows past 1,000 pages until the worker runs', async (t) => {
  const dir = await tempDir(t);
  const db = openDatabase(dir);
  const checkpointer = startWalCheckpointer(db, { intervalMs: 60_000 }); // not within this test
  t.after(async () => {
    await checkpointer.close();
    db.close();
  });
  writePages(db, PAGES);
  assert.ok(walPages(db) > PAGES, `the WAL holds ${walPages(db).toFixed(0)} pages`);
  assert.equal(checkpointer.stats().pagesCopied, 0);
});

test('without it (the control), the commit that crosses 1,000 pages checkpoints and the WAL starts over', async (t) => {
  const dir = await tempDir(t);
  const db = openDatabase(dir);
  t.after(() => db.close());
  writePages(db, PAGES);
  assert.ok(walPages(db) < 1100, `the WAL holds ${walPages(db).toFixed(0)} pages`);
});

test('the worker copies every committed page back, and the data is intact afterwards', async (t) => {
  const dir = await tempDir(t);
  const db = openDatabase(dir);
  const checkpointer = startWalCheckpointer(db, { intervalMs: 20 });
  let closed = false;
  t.after(async () => {
    if (closed) return;
    await checkpointer.close();
    db.close();
  });
  writePages(db, PAGES);
  await until('the worker copied the whole WAL back', () => {
    return checkpointer.stats().pagesCopied >= walPages(db);
  });
  await checkpointer.close();
  // With everything copied back, the next writer starts the WAL over instead of growing it.
  const before = statSync(`${db.name}-wal`).size;
  writePages(db, 50);
  assert.equal(statSync(`${db.name}-wal`).size, before);
  db.close();
  closed = true;
  assert.equal(existsSync(path.join(dir, `${DATABASE_FILE}-wal`)), false, 'WAL left behind');
  const reopened = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
  try {
    assert.equal(reopened.pragma('integrity_check', { simple: true }), 'ok');
    assert.equal(
      (reopened.prepare('SELECT count(*) AS n FROM filler').get() as { n: number }).n,
      PAGES + 50,
    );
  } finally {
    reopened.close();
  }
});

test('a worker that cannot start is reported and the connection checkpoints as SQLite does', async (t) => {
  const dir = await tempDir(t);
  const db = openDatabase(dir);
  t.after(() => db.close());
  unlinkSync(db.name); // the worker opens the file by name; this connection keeps its inode
  const failed = new Promise<Error>((resolve) => {
    const checkpointer = startWalCheckpointer(db, { onError: resolve });
    t.after(() => checkpointer.close());
  });
  assert.match((await failed).message, /cannot open .*core\.sqlite.*SQLITE_CANTOPEN/);
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000);
});

test('a store opened for a server checkpoints in the background after a second, and closes its worker', async (t) => {
  const dir = await tempDir(t);
  const store = new SqliteCoreStore(dir, { walCheckpointer: { onError: (e) => assert.fail(e) } });
  const db = (store as unknown as { db: Database.Database }).db;
  const autocheckpoint = () => db.pragma('wal_autocheckpoint', { simple: true });
  assert.equal(autocheckpoint(), 1000, 'SQLite checkpoints as usual until the worker starts');
  await until('the worker started', () => autocheckpoint() === 16_000);
  writePages(db, 200);
  await store.close();
  assert.equal(existsSync(path.join(dir, `${DATABASE_FILE}-wal`)), false, 'WAL left behind');
});

test('a store closed before its worker started never starts one', async (t) => {
  const dir = await tempDir(t);
  const store = new SqliteCoreStore(dir, { walCheckpointer: { onError: (e) => assert.fail(e) } });
  await store.close();
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(existsSync(path.join(dir, `${DATABASE_FILE}-wal`)), false, 'WAL left behind');
});
