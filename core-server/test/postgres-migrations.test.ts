// PostgreSQL schema migrations: replicas starting at the same moment on an empty database apply
// each migration exactly once (advisory lock), all end up on the same schema, and a database
// written by a newer core-server is refused with words an operator can act on.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { startPostgresCluster } from '../../scripts/test-support/postgres-cluster.js';
import { openCoreStore } from '../src/store/open-store.js';
import { LATEST_PG_SCHEMA_VERSION } from '../src/store/postgres/pg-migrations.js';
import { PostgresCoreStore } from '../src/store/postgres/postgres-core-store.js';

const cluster = await startPostgresCluster();
after(() => cluster.stop());

async function query<T extends pg.QueryResultRow>(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

test(
  'replicas starting together apply each migration once',
  { skip: cluster.skipReason },
  async () => {
    const url = await cluster.createDatabase();
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresCoreStore.open(url)));
    try {
      const rows = await query<{ version: number }>(
        url,
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      assert.deepEqual(
        rows.map((r) => r.version),
        Array.from({ length: LATEST_PG_SCHEMA_VERSION }, (_, i) => i + 1),
      );
      // Every replica works on the schema: a user added through one is found through another.
      await stores[0]!.addUser('a@example.org', 'h');
      assert.ok(await stores[3]!.findUserByEmail('A@example.org'));
    } finally {
      for (const s of stores) await s.close();
    }
  },
);

test(
  'a database from a newer core-server is refused; bad URLs are explained',
  { skip: cluster.skipReason },
  async () => {
    const url = await cluster.createDatabase();
    await (await PostgresCoreStore.open(url)).close();
    await query(
      url,
      `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'now')`,
    );
    await assert.rejects(
      openCoreStore({ dataDir: '/nonexistent', databaseUrl: url }),
      /schema version 999 is newer than this core-server .*upgrade core-server on every replica/,
    );
    await assert.rejects(
      openCoreStore({ dataDir: '/nonexistent', databaseUrl: 'mysql://u:secret@h/db' }),
      (err: Error) =>
        /must start with postgres:\/\//.test(err.message) && !err.message.includes('secret'),
    );
    const unreachable = new URL(url);
    unreachable.searchParams.set('host', '/nonexistent-socket-dir');
    unreachable.password = 'hunter2';
    await assert.rejects(
      openCoreStore({ dataDir: '/nonexistent', databaseUrl: unreachable.toString() }),
      (err: Error) =>
        /cannot open the PostgreSQL database/.test(err.message) && !err.message.includes('hunter2'),
    );
  },
);
