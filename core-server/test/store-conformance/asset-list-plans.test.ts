// The asset list orders a review page asks for most are read from an index on both backends,
// not produced by sorting every asset: at 100,000 assets a sort is ~35 ms of CPU per page, an
// index walk a few. Checked on the query plans, which say which it is whatever the table size.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { orderByFor, type AssetSort } from '../../src/domain/asset-sort.js';
import { pgOrderByFor } from '../../src/store/postgres/pg-asset-sort.js';
import type { PostgresCoreStore } from '../../src/store/postgres/postgres-core-store.js';
import type { SqliteCoreStore } from '../../src/store/sqlite/sqlite-core-store.js';
import { stopBackends, storeBackends } from './backends.js';

const backends = await storeBackends();
after(() => stopBackends(backends));

const INDEXED: Array<[AssetSort, string]> = [
  ['-created_at', 'assets_list_created'],
  ['-updated_at', 'assets_list_updated'],
  ['name', 'assets_list_name'],
  ['-name', 'assets_list_name_desc'],
];

async function planFor(name: string, store: unknown, sort: AssetSort): Promise<string> {
  if (name === 'sqlite') {
    const rows = (store as SqliteCoreStore).db
      .prepare(`EXPLAIN QUERY PLAN SELECT * FROM assets ORDER BY ${orderByFor(sort)} LIMIT 50`)
      .all() as Array<{ detail: string }>;
    return rows.map((r) => r.detail).join(' | ');
  }
  const client = await (store as PostgresCoreStore).pool.connect();
  try {
    // An empty table is cheapest to scan and sort; forbid both so the plan says whether an
    // index *can* give this order (the planner picks it once the table is large).
    await client.query('SET enable_seqscan = off; SET enable_sort = off');
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT * FROM assets ORDER BY ${pgOrderByFor(sort)} LIMIT 50`,
    );
    return rows.map((r) => r['QUERY PLAN']).join(' | ');
  } finally {
    await client.query('RESET enable_seqscan; RESET enable_sort');
    client.release();
  }
}

for (const b of backends) {
  test(
    `[${b.name}] default, -updated_at and both name sorts are read from their index`,
    { skip: b.skipReason },
    async (t) => {
      const { store } = await b.fresh(t);
      for (const [sort, index] of INDEXED) {
        const plan = await planFor(b.name, store, sort);
        assert.match(plan, new RegExp(`\\b${index}\\b`), `sort=${sort} uses ${index}: ${plan}`);
        assert.doesNotMatch(plan, /TEMP B-TREE|\bSort\b/, `sort=${sort} sorts nothing: ${plan}`);
      }
    },
  );
}
