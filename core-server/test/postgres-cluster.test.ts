// The throwaway PostgreSQL server the PostgreSQL tests use (scripts/test-support/postgres-cluster):
// it starts (also as root), hands out separate empty databases, and is gone after stop().
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, test } from 'node:test';
import pg from 'pg';
import { startPostgresCluster } from '../../scripts/test-support/postgres-cluster.js';

const cluster = await startPostgresCluster();
after(() => cluster.stop());

test(
  'a throwaway cluster hands out separate databases and stops',
  { skip: cluster.skipReason },
  async () => {
    const [a, b] = [await cluster.createDatabase(), await cluster.createDatabase()];
    assert.notEqual(a, b);
    const client = new pg.Client({ connectionString: a });
    await client.connect();
    await client.query('CREATE TABLE t (x int)');
    const db = await client.query<{ d: string }>('SELECT current_database() AS d');
    await client.end();
    const other = new pg.Client({ connectionString: b });
    await other.connect();
    const tables = await other.query(`SELECT 1 FROM pg_tables WHERE tablename = 't'`);
    await other.end();
    assert.equal(tables.rowCount, 0, 'a table made in one database is not in the other');
    assert.ok(a.endsWith(db.rows[0]!.d) || a.includes(`/${db.rows[0]!.d}?`));
    const socketDir = new URL(a).searchParams.get('host');
    if (!process.env.RETAIA_TEST_POSTGRES_URL) {
      assert.ok(socketDir && existsSync(socketDir));
      await cluster.stop();
      assert.equal(existsSync(socketDir), false, 'the server directory is deleted at stop');
    }
  },
);
