// PostgreSQL answers GET /jobs with one query (pg-jobs.ts). Right after a card dump lands the
// tables have no statistics: the planner takes the queue for a row or two, and every poll
// sorted every pending job (13 ms at 2,000, growing with the queue) instead of walking the queue
// index and stopping at the limit (1.8 ms once it knows the queue's size). A scan that adds or
// readies many assets refreshes the statistics. Which plan is best depends on the table's size
// (a seq scan wins at a few hundred rows), so this checks what every good plan rests on: right
// after such a scan, with no autovacuum in between, the planner knows how many jobs there are.
// (SQLite answers polls from its in-memory index: nothing to plan.)
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { CAPABILITIES } from '@retaia/protocol';
import { PG_CLAIMABLE_JOBS_SQL } from '../../src/store/postgres/pg-jobs.js';
import type { PostgresCoreStore } from '../../src/store/postgres/postgres-core-store.js';
import { stopBackends, storeBackends } from './backends.js';
import { addReadyAssets, newAsset } from './fixtures.js';

const backends = (await storeBackends()).filter((b) => b.name === 'postgres');
after(() => stopBackends(backends));

for (const b of backends) {
  test(
    '[postgres] after a scan of 600 files the poll is planned for the queue it really has',
    { skip: b.skipReason },
    async (t) => {
      const { store } = await b.fresh(t);
      await addReadyAssets(
        store,
        Array.from({ length: 600 }, (_, i) => newAsset(i)),
      );
      const { rows } = await (store as PostgresCoreStore).pool.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN ${PG_CLAIMABLE_JOBS_SQL}`,
        [[], [CAPABILITIES.facts], Date.now(), 200],
      );
      const plan = rows.map((r) => r['QUERY PLAN']).join(' | ');
      // The jobs scan's row estimate: 1 without statistics; 600 pending (of 1,200) with them.
      const estimate = /Scan[^|]* on jobs j\s+\(cost=[^)]* rows=(\d+)/.exec(plan);
      assert.ok(estimate, plan);
      assert.ok(Number(estimate[1]) >= 300, `the planner expects ${estimate[1]} jobs: ${plan}`);
    },
  );
}
