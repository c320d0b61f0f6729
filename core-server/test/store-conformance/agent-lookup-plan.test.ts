// A poll that does not name its agent asks for its client's most recently registered agent.
// Agent rows pile up with re-enrolments, and without an index every poll scanned them all
// (130 µs at 1,000 rows, 557 µs at 5,000 on SQLite). Checked on the query plans, which say
// whether the index serves the lookup whatever the table size.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  PG_LATEST_AGENT_OF_CLIENT_SQL,
  type PostgresCoreStore,
} from '../../src/store/postgres/postgres-core-store.js';
import { LATEST_AGENT_OF_CLIENT_SQL } from '../../src/store/sqlite/sqlite-accounts-store.js';
import type { SqliteCoreStore } from '../../src/store/sqlite/sqlite-core-store.js';
import { stopBackends, storeBackends } from './backends.js';

const backends = await storeBackends();
after(() => stopBackends(backends));

for (const b of backends) {
  test(
    `[${b.name}] the latest agent of a client is found through agents_by_client, no sort`,
    { skip: b.skipReason },
    async (t) => {
      const { store } = await b.fresh(t);
      let plan: string;
      if (b.name === 'sqlite') {
        const rows = (store as SqliteCoreStore).db
          .prepare(`EXPLAIN QUERY PLAN ${LATEST_AGENT_OF_CLIENT_SQL}`)
          .all('client-1') as Array<{ detail: string }>;
        plan = rows.map((r) => r.detail).join(' | ');
      } else {
        const client = await (store as PostgresCoreStore).pool.connect();
        try {
          // An empty table is cheapest to scan and sort: forbid both, so the plan says whether
          // the index can serve the lookup (the planner picks it once the table is large).
          await client.query('SET enable_seqscan = off; SET enable_sort = off');
          const { rows } = await client.query<{ 'QUERY PLAN': string }>(
            `EXPLAIN ${PG_LATEST_AGENT_OF_CLIENT_SQL}`,
            ['client-1'],
          );
          plan = rows.map((r) => r['QUERY PLAN']).join(' | ');
        } finally {
          await client.query('RESET enable_seqscan; RESET enable_sort');
          client.release();
        }
      }
      assert.match(plan, /\bagents_by_client\b/, plan);
      assert.doesNotMatch(plan, /TEMP B-TREE|\bSort\b|SCAN agents\b/, plan);
    },
  );
}
