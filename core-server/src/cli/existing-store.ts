// Operator commands open the database `core-server serve` created; they never create one. A
// wrong --data-dir would otherwise silently produce an empty database (and "no assets").
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DATABASE_FILE } from '../store/sqlite/open-database.js';
import { SqliteCoreStore } from '../store/sqlite/sqlite-core-store.js';

export class NoDatabaseError extends Error {
  readonly retryable = false;
}

export async function withExistingStore<T>(
  dataDir: string,
  fn: (store: SqliteCoreStore) => Promise<T>,
): Promise<T> {
  const dir = path.resolve(dataDir);
  if (!existsSync(path.join(dir, DATABASE_FILE))) {
    const where = existsSync(dir) ? `${dir} has no ${DATABASE_FILE}` : `${dir} does not exist`;
    throw new NoDatabaseError(
      `no Core database here: ${where}. Pass --data-dir with the folder \`core-server serve\` uses (its --data-dir, RETAIA_CORE_DATA_DIR or "dataDir" in its config; default ./retaia-core-data), or start \`core-server serve\` once: it creates the database.`,
    );
  }
  const store = new SqliteCoreStore(dir);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
