// Runs a whole-system test file against PostgreSQL: starts a throwaway server (initdb + pg_ctl on
// a temp dir), gives every System of the file its own empty database, then loads the file's tests.
// When no server can start, one skipped test says why instead of the scenarios.
import { after, test } from 'node:test';
import { startPostgresCluster } from '../../scripts/test-support/postgres-cluster.js';
import { useDatabaseFactory } from '../support/database-backend.js';

export async function runOnPostgres(name: string, load: () => Promise<unknown>): Promise<void> {
  const cluster = await startPostgresCluster();
  if (cluster.skipReason) {
    test(`${name} on PostgreSQL`, { skip: cluster.skipReason }, () => {});
    return;
  }
  after(() => cluster.stop());
  useDatabaseFactory(() => cluster.createDatabase());
  await load();
}
