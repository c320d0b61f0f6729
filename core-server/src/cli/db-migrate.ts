// `core-server db migrate --from sqlite:PATH --to postgres://…`: copies an existing SQLite
// catalogue into an empty PostgreSQL database, then proves the copy by row counts and a checksum
// per table, read back from PostgreSQL after the commit.
//
// - The source is opened as `serve` opens it (schema brought up to date), then read inside one
//   read transaction: a consistent snapshot even if a server still writes (stop it first anyway,
//   or its later writes are not copied).
// - The target gets the PostgreSQL schema; it must hold no rows at all (a second run, or a
//   database another Core already uses, is refused before anything is written).
// - Every row is copied in one PostgreSQL transaction: a failure leaves the target empty.
// - SQLite-only bookkeeping is not copied (the FTS5 index, the claimable-jobs change log): the
//   PostgreSQL search index is rebuilt from the assets' names, transcripts and notes.
// - Checksums are order-independent (sorted row digests), each value compared as text, so
//   integer/text affinities of SQLite do not make equal data look different.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { assertDatabaseUrl, redactDatabaseUrl } from '../store/open-store.js';
import { inTransaction } from '../store/postgres/pg-db.js';
import { indexAssetName, indexNotes, indexTranscript } from '../store/postgres/pg-search.js';
import { PostgresCoreStore } from '../store/postgres/postgres-core-store.js';
import { DATABASE_FILE } from '../store/sqlite/open-database.js';
import { SqliteCoreStore } from '../store/sqlite/sqlite-core-store.js';

/** Parent tables first (foreign keys); tables added later are copied after these, by name. */
const TABLE_ORDER = [
  'users',
  'user_tokens',
  'clients',
  'client_tokens',
  'device_flows',
  'agents',
  'nonces',
  'security_events',
  'assets',
  'asset_transitions',
  'jobs',
  'job_claims',
  'idempotency_keys',
  'uploads',
  'upload_parts',
  'derived_files',
  'asset_locks',
  'move_journal',
  'asset_audit',
];
/**
 * SQLite bookkeeping with no PostgreSQL counterpart (rebuilt there), or whose PostgreSQL twin is
 * kept by triggers (auth_version, scan_index_version: the copy itself moves them).
 */
const NOT_COPIED = new Set([
  'asset_search',
  'asset_notes_search',
  'auth_version',
  'job_queue_changes',
  'scan_index_version',
  'sqlite_sequence',
]);
/** Identity columns whose sequence must continue after the copied ids. */
const IDENTITY_IDS = ['security_events', 'asset_transitions'];
const BATCH_PARAMS = 30_000;

export class MigrateError extends Error {
  readonly retryable = false;
}

export interface TableReport {
  table: string;
  rows: number;
  checksum: string;
}

export interface MigrateReport {
  from: string;
  to: string;
  tables: TableReport[];
}

/** `sqlite:PATH` where PATH is the data dir or its core.sqlite file → the data dir. */
export function sqliteSourceDir(from: string): string {
  if (!from.startsWith('sqlite:')) {
    throw new MigrateError(
      `--from must be sqlite:PATH (the data dir or its ${DATABASE_FILE}), not "${from}"`,
    );
  }
  const p = path.resolve(from.slice('sqlite:'.length));
  if (!existsSync(p)) throw new MigrateError(`--from: ${p} does not exist`);
  if (statSync(p).isDirectory()) {
    if (!existsSync(path.join(p, DATABASE_FILE))) {
      throw new MigrateError(
        `--from: ${p} has no ${DATABASE_FILE} (is it the data dir of core-server serve?)`,
      );
    }
    return p;
  }
  if (path.basename(p) !== DATABASE_FILE) {
    throw new MigrateError(`--from: expected the data dir or its ${DATABASE_FILE}, got ${p}`);
  }
  return path.dirname(p);
}

type Row = Record<string, unknown>;

const canonical = (v: unknown) => (v === null || v === undefined ? null : String(v));

function checksum(rows: Row[], columns: string[]): string {
  const digests = rows
    .map((r) =>
      createHash('sha256')
        .update(JSON.stringify(columns.map((c) => canonical(r[c]))))
        .digest('hex'),
    )
    .sort();
  const h = createHash('sha256');
  for (const d of digests) h.update(d);
  return h.digest('hex');
}

function sqliteTables(
  db: Database.Database,
): { table: string; columns: string[]; order: string }[] {
  const names = (
    db
      .prepare(
        `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
      )
      .all() as { name: string; sql: string }[]
  )
    .filter(
      (t) => !NOT_COPIED.has(t.name) && ![...NOT_COPIED].some((n) => t.name.startsWith(`${n}_`)),
    )
    .map((t) => ({ name: t.name, withoutRowid: /WITHOUT\s+ROWID/i.test(t.sql) }));
  const rank = (n: string) =>
    TABLE_ORDER.includes(n) ? TABLE_ORDER.indexOf(n) : TABLE_ORDER.length;
  names.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
  return names.map(({ name, withoutRowid }) => {
    const info = db.prepare(`PRAGMA table_info(${name})`).all() as { name: string; pk: number }[];
    const pk = info
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    // Insertion order (rowid) becomes PostgreSQL's seq order for audit and journal rows.
    return {
      table: name,
      columns: info.map((c) => c.name),
      order: withoutRowid ? pk.join(', ') : 'rowid',
    };
  });
}

async function assertEmptyTarget(pool: pg.Pool, tables: string[]): Promise<void> {
  const holding: string[] = [];
  for (const t of tables) {
    const { rows } = await pool.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${t}`);
    if (rows[0]!.n > 0) holding.push(`${t}: ${rows[0]!.n}`);
  }
  if (holding.length) {
    throw new MigrateError(
      `the target database is not empty (${holding.join(', ')}); nothing was copied. Migrate into a new, empty database (e.g. createdb retaia_core) — never into one a Core already uses.`,
    );
  }
}

async function assertColumns(pool: pg.Pool, table: string, columns: string[]): Promise<void> {
  const { rows } = await pool.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
    [table],
  );
  const have = new Set(rows.map((r) => r.column_name));
  const missing = columns.filter((c) => !have.has(c));
  if (missing.length) {
    throw new MigrateError(
      `PostgreSQL table ${table} lacks ${missing.join(', ')} (${have.size ? 'columns' : 'the whole table'}): this core-server's PostgreSQL schema is older than the SQLite database; upgrade core-server`,
    );
  }
}

async function copyTable(c: pg.PoolClient, table: string, columns: string[], rows: Row[]) {
  const perBatch = Math.max(1, Math.floor(BATCH_PARAMS / columns.length));
  for (let i = 0; i < rows.length; i += perBatch) {
    const batch = rows.slice(i, i + perBatch);
    const params: unknown[] = [];
    const tuples = batch.map((r) => {
      const slots = columns.map((col) => {
        params.push(r[col] ?? null);
        return `$${params.length}`;
      });
      return `(${slots.join(', ')})`;
    });
    await c.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`,
      params,
    );
  }
}

export async function migrateSqliteToPostgres(from: string, to: string): Promise<MigrateReport> {
  const dir = sqliteSourceDir(from);
  assertDatabaseUrl(to);
  const source = new SqliteCoreStore(dir);
  let target: PostgresCoreStore | undefined;
  try {
    // One read transaction: every table from the same snapshot.
    source.db.exec('BEGIN');
    const tables = sqliteTables(source.db).map((t) => ({
      ...t,
      rows: source.db.prepare(`SELECT * FROM ${t.table} ORDER BY ${t.order}`).all() as Row[],
    }));
    source.db.exec('COMMIT');

    target = await PostgresCoreStore.open(to).catch((err: Error) => {
      throw new MigrateError(`cannot open ${redactDatabaseUrl(to)}: ${err.message}`);
    });
    const pool = target.pool;
    for (const t of tables) await assertColumns(pool, t.table, t.columns);
    await assertEmptyTarget(pool, [...tables.map((t) => t.table), 'asset_search']);

    await inTransaction(pool, async (c) => {
      // Copied locks keep their acquisition time (or its absence), not "now".
      await c.query('ALTER TABLE asset_locks DISABLE TRIGGER asset_lock_acquired');
      for (const t of tables) await copyTable(c, t.table, t.columns, t.rows);
      await c.query('ALTER TABLE asset_locks ENABLE TRIGGER asset_lock_acquired');
      for (const table of IDENTITY_IDS) {
        await c.query(
          `SELECT setval(pg_get_serial_sequence('${table}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM ${table}`,
        );
      }
      for (const a of tables.find((t) => t.table === 'assets')?.rows ?? []) {
        await indexAssetName(c, String(a.uuid), String(a.name));
        const transcript = a.transcript
          ? (JSON.parse(String(a.transcript)) as { text?: string | null })
          : null;
        if (transcript?.text) await indexTranscript(c, String(a.uuid), transcript.text);
        if (a.notes) await indexNotes(c, String(a.uuid), String(a.notes));
      }
    });

    // Verify from what PostgreSQL committed.
    const report: TableReport[] = [];
    for (const t of tables) {
      const { rows } = await pool.query(`SELECT ${t.columns.join(', ')} FROM ${t.table}`);
      const expected = { rows: t.rows.length, checksum: checksum(t.rows, t.columns) };
      const got = { rows: rows.length, checksum: checksum(rows, t.columns) };
      if (expected.rows !== got.rows || expected.checksum !== got.checksum) {
        throw new MigrateError(
          `verification failed for ${t.table}: SQLite ${expected.rows} rows (${expected.checksum.slice(0, 12)}), PostgreSQL ${got.rows} rows (${got.checksum.slice(0, 12)}). Drop the target database and run the migration again; do not start Core on it.`,
        );
      }
      report.push({ table: t.table, rows: got.rows, checksum: got.checksum.slice(0, 16) });
    }
    return { from: path.join(dir, DATABASE_FILE), to: redactDatabaseUrl(to), tables: report };
  } finally {
    if (source.db.inTransaction) source.db.exec('ROLLBACK');
    await source.close();
    await target?.close();
  }
}
