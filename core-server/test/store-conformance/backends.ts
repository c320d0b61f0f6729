// The store backends the conformance tests run the same cases on: embedded SQLite (a temp data
// dir) and PostgreSQL (a fresh database on a throwaway server per test file, see
// scripts/test-support/postgres-cluster.ts). Usage:
//
//   const backends = await storeBackends();
//   after(() => stopBackends(backends));
//   for (const b of backends) test(`[${b.name}] …`, { skip: b.skipReason }, async (t) => {
//     const { store, another } = await b.fresh(t);   // closed/deleted after the test
//   });
//
// `another()` opens one more store on the same database (a second replica or process).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { CoreStore } from '../../src/store/core-store.js';
import { PostgresCoreStore } from '../../src/store/postgres/postgres-core-store.js';
import { SqliteCoreStore } from '../../src/store/sqlite/sqlite-core-store.js';
import { startPostgresCluster } from '../../../scripts/test-support/postgres-cluster.js';

export interface FreshStore {
  store: CoreStore;
  another(): Promise<CoreStore>;
}

export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  skipReason?: string;
  fresh(t: TestContext): Promise<FreshStore>;
  stop(): Promise<void>;
}

function tracked(t: TestContext, open: () => Promise<CoreStore>, cleanup: () => Promise<void>) {
  const opened: CoreStore[] = [];
  t.after(async () => {
    for (const s of opened) await s.close();
    await cleanup();
  });
  const another = async () => {
    const s = await open();
    opened.push(s);
    return s;
  };
  return another;
}

export async function storeBackends(): Promise<StoreBackend[]> {
  const cluster = await startPostgresCluster();
  return [
    {
      name: 'sqlite',
      async fresh(t) {
        const dir = await mkdtemp(path.join(os.tmpdir(), 'store-conformance-'));
        const another = tracked(
          t,
          async () => new SqliteCoreStore(dir),
          () => rm(dir, { recursive: true, force: true }),
        );
        return { store: await another(), another };
      },
      stop: async () => {},
    },
    {
      name: 'postgres',
      ...(cluster.skipReason ? { skipReason: cluster.skipReason } : {}),
      async fresh(t) {
        const url = await cluster.createDatabase();
        const another = tracked(
          t,
          () => PostgresCoreStore.open(url),
          async () => {},
        );
        return { store: await another(), another };
      },
      stop: () => cluster.stop(),
    },
  ];
}

export async function stopBackends(backends: StoreBackend[]): Promise<void> {
  for (const b of backends) await b.stop();
}
