// The only place that opens the SQLite file: WAL so the operator CLI can read and write while the
// server runs, a busy timeout so the two processes wait for each other instead of failing.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { settleStalledAssets } from './asset-lifecycle.js';
import { runMigrations } from './migrations.js';
import { repairSearchRowids } from './asset-search-rows.js';

export const DATABASE_FILE = 'core.sqlite';

export function openDatabase(dataDir: string): Database.Database {
  const file = path.join(dataDir, DATABASE_FILE);
  restrictToOwner(dataDir, file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Statement journals (statements that fire triggers need one) in memory, not temp files: the
  // job-queue triggers cost a job write 35 µs of CPU with file journals, 18 µs in memory.
  db.pragma('temp_store = MEMORY');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  runMigrations(db);
  repairSearchRowids(db);
  cacheStatements(db);
  settleStalledAssets(db);
  return db;
}

/**
 * The database holds operators' password hashes and agents' keys: the data dir is 0700 and the
 * database files 0600 (also when an older Core created them wider). SQLite creates -wal and -shm
 * with the main file's mode, so creating that file 0600 first covers them; existing ones are
 * narrowed too. Modes are POSIX-only; Windows ignores them.
 */
function restrictToOwner(dataDir: string, file: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(f)) chmodSync(f, 0o600);
  }
}

/**
 * Compiling SQL was ~10 % of the server's CPU under agent load: every store call re-prepared its
 * statement. Statements are reused per SQL text. Safe because no caller iterates a statement or
 * switches it to pluck/raw/expand mode (such a mode would stick to the shared statement).
 */
function cacheStatements(db: Database.Database): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      if (cache.size >= 500) cache.clear();
      stmt = prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  }) as typeof db.prepare;
}
