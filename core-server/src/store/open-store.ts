// Which store a Core runs on, in one place (serve, operator commands, tests, benches):
//
//   const store = await openCoreStore({ dataDir, databaseUrl });
//
// - databaseUrl `postgres://…` / `postgresql://…` (flag --database-url, env
//   RETAIA_CORE_DATABASE_URL): PostgreSQL, shared by any number of replicas; migrations are
//   applied on open by whichever replica comes first (docs/postgresql.md);
// - no databaseUrl: the embedded SQLite file in dataDir (the default).
import type { CoreStore } from './core-store.js';
import { PostgresCoreStore } from './postgres/postgres-core-store.js';
import { SqliteCoreStore } from './sqlite/sqlite-core-store.js';
import type { WalCheckpointerReport } from './sqlite/wal-checkpointer.js';

export interface StoreLocation {
  /** SQLite's folder (also where a PostgreSQL Core keeps nothing: the database holds it all). */
  dataDir: string;
  databaseUrl?: string | undefined;
  /**
   * A long-running server: SQLite's WAL checkpoints run on a worker thread instead of inside a
   * request's commit (sqlite/wal-checkpointer.ts). Operator commands leave it off.
   */
  walCheckpointer?: WalCheckpointerReport;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/** Throws a sentence an operator can act on when the URL is not a PostgreSQL one. */
export function assertDatabaseUrl(url: string): void {
  if (!POSTGRES_URL.test(url)) {
    throw new Error(
      `database URL must start with postgres:// or postgresql:// (got "${redactDatabaseUrl(url)}"); leave it unset to use the embedded SQLite database in the data dir`,
    );
  }
}

/** The URL without its password, for logs and error messages. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

export async function openCoreStore(location: StoreLocation): Promise<CoreStore> {
  if (location.databaseUrl) {
    assertDatabaseUrl(location.databaseUrl);
    try {
      return await PostgresCoreStore.open(location.databaseUrl);
    } catch (err) {
      throw new Error(
        `cannot open the PostgreSQL database ${redactDatabaseUrl(location.databaseUrl)}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  return new SqliteCoreStore(location.dataDir, { walCheckpointer: location.walCheckpointer });
}
