// A write made through a SQLite connection of its own, as the operator CLI or a second process
// would make it: the server's in-memory caches must notice it without being told.
import path from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../../src/store/sqlite/open-database.js';

/** Runs one statement on a fresh connection to the data dir's database; returns its changes. */
export function fromAnotherConnection(dataDir: string, sql: string, ...params: unknown[]): number {
  const other = new Database(path.join(dataDir, DATABASE_FILE));
  try {
    return other.prepare(sql).run(...params).changes;
  } finally {
    other.close();
  }
}
