// The small layer over `pg` the PostgreSQL store uses: a pool whose integers come back as JS
// numbers (BIGINT columns hold millisecond times and counts, all far below 2^53), three query
// helpers, and transactions retried on serialization failures and deadlocks (two replicas
// locking the same job and asset in opposite orders: PostgreSQL aborts one, we run it again).
import pg from 'pg';

export type Row = Record<string, unknown>;
/** A pool (one statement, autocommit) or a client inside a transaction. */
export type Queryable = pg.Pool | pg.PoolClient;

const INT8 = 20;
const NUMERIC = 1700;

export function createPool(url: string, max = 10): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8 || oid === NUMERIC
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection (server restart) must not crash Core: the pool drops
  // it, and the next query reports the problem where it can be handled.
  pool.on('error', () => {});
  return pool;
}

/**
 * Statements run through the helpers below are prepared once per connection (a name per SQL
 * text): planning cost more than running the poll (2.7 ms planning, 0.4 ms execution measured
 * on the claimable-jobs query). Bounded: texts built from user input (search words) would
 * otherwise grow the per-connection statement list without end; past the bound, new texts run
 * unprepared.
 */
const statementNames = new Map<string, string>();
const MAX_PREPARED = 300;

function statement(text: string, values: unknown[]): pg.QueryConfig {
  let name = statementNames.get(text);
  if (!name && statementNames.size < MAX_PREPARED) {
    name = `retaia_${statementNames.size}`;
    statementNames.set(text, name);
  }
  return name ? { name, text, values } : { text, values };
}

export async function all<T = Row>(q: Queryable, text: string, params: unknown[] = []) {
  return (await q.query(statement(text, params))).rows as T[];
}
export async function one<T = Row>(q: Queryable, text: string, params: unknown[] = []) {
  return (await q.query(statement(text, params))).rows[0] as T | undefined;
}
/** Runs a statement; returns how many rows it changed. */
export async function run(q: Queryable, text: string, params: unknown[] = []) {
  return (await q.query(statement(text, params))).rowCount ?? 0;
}

const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
const MAX_ATTEMPTS = 5;

/** READ COMMITTED transaction; writers take row locks (FOR UPDATE) where they read-modify-write. */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      const code = (err as { code?: string }).code;
      if (attempt < MAX_ATTEMPTS && code && RETRYABLE.has(code)) continue;
      throw err;
    } finally {
      client.release();
    }
  }
}
