// Operator commands open the database `core-server serve` uses; they never create one. A
// wrong --data-dir would otherwise silently produce an empty database (and "no assets"). With
// --database-url / RETAIA_CORE_DATABASE_URL they open that PostgreSQL database instead.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CoreStore } from '../store/core-store.js';
import { openCoreStore, type StoreLocation } from '../store/open-store.js';
import { DATABASE_FILE } from '../store/sqlite/open-database.js';

export class NoDatabaseError extends Error {
  readonly retryable = false;
}

export async function withExistingStore<T>(
  location: StoreLocation,
  fn: (store: CoreStore) => Promise<T>,
): Promise<T> {
  const dir = path.resolve(location.dataDir);
  if (!location.databaseUrl && !existsSync(path.join(dir, DATABASE_FILE))) {
    const where = existsSync(dir) ? `${dir} has no ${DATABASE_FILE}` : `${dir} does not exist`;
    throw new NoDatabaseError(
      `no Core database here: ${where}. Pass --data-dir with the folder \`core-server serve\` uses (its --data-dir, RETAIA_CORE_DATA_DIR or "dataDir" in its config; default ./retaia-core-data), or --database-url when it runs on PostgreSQL, or start \`core-server serve\` once: it creates the database.`,
    );
  }
  const store = await openCoreStore({ dataDir: dir, databaseUrl: location.databaseUrl });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
