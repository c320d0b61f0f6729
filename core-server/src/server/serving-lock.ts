// One serving core-server per SQLite data directory, enforced. With SQLite this process is the
// leader from start to close (./leadership.ts): a second server on the same database would also
// scan, sweep, and take the first one's in-flight moves and purges for a dead process's and
// "recover" them while the first is still moving those files; its attempt budgets (kept in
// memory) would not see the first one's either. The operator CLI still opens the database
// beside a running server; only `serve` takes this lock.
//
// The lock is an exclusive SQLite transaction held open on a small file of its own: SQLite's
// file locks (fcntl on POSIX, LockFileEx on Windows) are released by the operating system when
// the process dies, however it dies, so a crash never leaves a stale lock to clean up by hand.
// Who holds it is written beside it for the refusal's message.
import { hostname } from 'node:os';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

const SERVING_LOCK_FILE = 'core.serving.lock';
const OWNER_FILE = 'core.serving.owner';

export interface ServingLock {
  release(): void;
}

/** Takes the data directory's serving lock, or throws an error an operator can act on. */
export function takeServingLock(dataDir: string): ServingLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lock = new Database(path.join(dataDir, SERVING_LOCK_FILE), { timeout: 0 });
  try {
    lock.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    lock.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    throw new Error(
      `another core-server${describeOwner(dataDir)} is already serving the data directory ` +
        `${dataDir}. Two servers on one SQLite database would both scan and recover moves, ` +
        'and could move the same files at once. Stop the other one first, or give this one a ' +
        'data directory of its own (replicas need PostgreSQL: --database-url).',
    );
  }
  const ownerFile = path.join(dataDir, OWNER_FILE);
  const owner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  writeFileSync(ownerFile, `${JSON.stringify(owner)}\n`, { mode: 0o600 });
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      rmSync(ownerFile, { force: true });
      lock.close(); // rolls the open transaction back: the lock is free
    },
  };
}

/** " (pid 123 on nas, since …)" from the holder's note; empty when it cannot be read. */
function describeOwner(dataDir: string): string {
  try {
    const o = JSON.parse(readFileSync(path.join(dataDir, OWNER_FILE), 'utf8')) as {
      pid: number;
      host: string;
      since: string;
    };
    return ` (pid ${o.pid} on ${o.host}, since ${o.since})`;
  } catch {
    return '';
  }
}
