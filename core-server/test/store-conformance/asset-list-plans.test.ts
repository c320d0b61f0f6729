// The asset list orders a review page asks for most are read from an index on both backends,
// not produced by sorting every asset: at 100,000 assets a sort is ~35 ms of CPU per page, an
// index walk a few; and a page after a cursor key seeks to it instead of walking from the start.
// Checked on the query plans, which say which it is whatever the table size. Keyset pages, walked
// to the end, give exactly the full order (ties included) on both backends.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  afterKeyCondition,
  ASSET_SORTS,
  keyIsNumber,
  keyOf,
  orderByFor,
  type AssetListKey,
  type AssetSort,
} from '../../src/domain/asset-sort.js';
import { pgAfterKeyCondition, pgOrderByFor } from '../../src/store/postgres/pg-asset-sort.js';
import type { PostgresCoreStore } from '../../src/store/postgres/postgres-core-store.js';
import type { SqliteCoreStore } from '../../src/store/sqlite/sqlite-core-store.js';
import { stopBackends, storeBackends } from './backends.js';
import type { AssetRecord } from '../../src/store/records.js';
import { addReadyAssets, completeAssetJob, fixedUuid, newAsset, PHOTO_FACTS } from './fixtures.js';

const backends = await storeBackends();
after(() => stopBackends(backends));

const INDEXED: Array<[AssetSort, string]> = [
  ['-created_at', 'assets_list_created'],
  ['-updated_at', 'assets_list_updated'],
  ['name', 'assets_list_name'],
  ['-name', 'assets_list_name_desc'],
  ['captured_at', 'assets_list_captured'],
  ['-captured_at', 'assets_list_captured_desc'],
  ['duration', 'assets_list_duration'],
  ['-duration', 'assets_list_duration_desc'],
];

async function planFor(
  name: string,
  store: unknown,
  sort: AssetSort,
  after?: AssetListKey,
): Promise<string> {
  if (name === 'sqlite') {
    const params: Array<string | number> = [];
    const where = after
      ? `WHERE ${afterKeyCondition(sort, after, (v) => (params.push(v), '?'))}`
      : '';
    const rows = (store as SqliteCoreStore).db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT * FROM assets ${where} ORDER BY ${orderByFor(sort)} LIMIT 50`,
      )
      .all(...params) as Array<{ detail: string }>;
    return rows.map((r) => r.detail).join(' | ');
  }
  const client = await (store as PostgresCoreStore).pool.connect();
  try {
    // An empty table is cheapest to scan and sort; forbid both so the plan says whether an
    // index *can* give this order (the planner picks it once the table is large).
    await client.query('SET enable_seqscan = off; SET enable_sort = off');
    const params: Array<string | number> = [];
    const where = after
      ? `WHERE ${pgAfterKeyCondition(sort, after, (v) => (params.push(v), `$${params.length}`))}`
      : '';
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT * FROM assets ${where} ORDER BY ${pgOrderByFor(sort)} LIMIT 50`,
      params,
    );
    return rows.map((r) => r['QUERY PLAN']).join(' | ');
  } finally {
    await client.query('RESET enable_seqscan; RESET enable_sort');
    client.release();
  }
}

for (const b of backends) {
  test(
    `[${b.name}] default, -updated_at, name, capture time and duration sorts are read from their index`,
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

for (const b of backends) {
  test(
    `[${b.name}] a page after a cursor key seeks to it (every keyed sort)`,
    { skip: b.skipReason },
    async (t) => {
      const { store } = await b.fresh(t);
      for (const [sort, index] of INDEXED) {
        const after = { value: keyIsNumber(sort) ? 5000 : 'M', uuid: fixedUuid(0) };
        const plan = await planFor(b.name, store, sort, after);
        const seek = b.name === 'sqlite' ? /SEARCH assets USING INDEX/ : /Index Cond/;
        assert.match(plan, new RegExp(`\\b${index}\\b`), `sort=${sort} uses ${index}: ${plan}`);
        assert.match(plan, seek, `sort=${sort} seeks to the key: ${plan}`);
      }
    },
  );

  test(
    `[${b.name}] keyset pages walked to the end give the full order, ties included`,
    { skip: b.skipReason },
    async (t) => {
      const { store } = await b.fresh(t);
      // Names equal but for case, and assets discovered in the same instant (equal created_at).
      const names = ['b.jpg', 'B.jpg', 'a.mov', 'A.mov', 'c.wav', 'b.jpg2', 'Z.jpg', 'z.jpg'];
      const kinds = { mov: 'VIDEO', wav: 'AUDIO' } as const;
      const assets = names.map((name, i) =>
        newAsset(i, {
          name,
          media_type: kinds[name.split('.')[1] as 'mov' | 'wav'] ?? 'PHOTO',
          profile: name.endsWith('.mov')
            ? 'video_standard'
            : name.endsWith('.wav')
              ? 'audio_voice'
              : 'photo_standard',
        }),
      );
      const ready = await addReadyAssets(store, assets.slice(0, 4), 1000);
      await store.applyScan({ inserts: assets.slice(4), updates: [], ready: [] }, {}, 1000);
      // Capture times and durations with ties and gaps: the rest have none (sorted last).
      const clip = { media_format: 'mov', video_codec: 'h264', width: 1920, height: 1080, fps: 25 };
      const facts = [
        { ...PHOTO_FACTS, captured_at: '2024-05-01T10:00:00Z' },
        { ...PHOTO_FACTS, captured_at: '2024-05-01T10:00:00Z' },
        { ...clip, duration_ms: 5000, captured_at: '2023-01-01T00:00:00Z' },
        { ...clip, duration_ms: 5000 },
      ];
      for (const [i, asset] of ready.entries()) {
        await completeAssetJob(store, asset.uuid, 'extract_facts', { facts: facts[i]! });
      }
      for (const sort of ASSET_SORTS) {
        for (const filter of [{}, { states: ['DISCOVERED' as const] }, { q: 'jpg' }]) {
          const full = await store.listAssets({ ...filter, sort, limit: 100, offset: 0 });
          if (/updated_at|captured_at|duration/.test(sort)) {
            assert.deepEqual(
              full.map((a) => a.uuid),
              expectedOrder(full, sort),
              `sort=${sort}: missing values last, ties by uuid`,
            );
          }
          const walked = [];
          let after: AssetListKey | undefined;
          for (let pages = 0; pages < 20; pages++) {
            const page = await store.listAssets({
              ...filter,
              sort,
              limit: 3,
              offset: 0,
              ...(after ? { after } : {}),
            });
            walked.push(...page);
            if (page.length < 3) break;
            after = keyOf(sort, page.at(-1)!);
          }
          assert.deepEqual(
            walked.map((a) => a.name),
            full.map((a) => a.name),
            `sort=${sort} ${JSON.stringify(filter)}`,
          );
        }
      }
    },
  );
}

/** The contract's order for a nullable sort, computed here: missing values last, ties by uuid. */
function expectedOrder(assets: AssetRecord[], sort: AssetSort): string[] {
  const desc = sort.startsWith('-');
  const valueOf = (a: AssetRecord) =>
    sort.includes('updated_at')
      ? (a.updated_at ?? undefined)
      : sort.includes('captured_at')
        ? a.facts.captured_at
        : a.facts.duration_ms;
  return [...assets]
    .sort((a, b) => {
      const [x, y] = [valueOf(a), valueOf(b)];
      if (x === undefined || y === undefined) {
        if (x !== y) return x === undefined ? 1 : -1;
      } else if (x !== y) return (x < y ? -1 : 1) * (desc ? -1 : 1);
      return a.uuid < b.uuid ? -1 : 1;
    })
    .map((a) => a.uuid);
}
