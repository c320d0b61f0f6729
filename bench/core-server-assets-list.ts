// GET /assets pages at 100,000 assets (default N), p50/p99 per kind of page, against an
// unauthenticated-cheap GET /app/policy measured in the same run. Assets are seeded straight
// through the store (applyScan, 1,000 per transaction, 100 distinct creation times). Requests
// are sequential over loopback HTTP from this process. Target (docs/core-performance.md): page
// p99 < 20 ms. Run: npx tsx bench/core-server-assets-list.ts [N]
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';

import { DATABASE_FILE } from '../core-server/src/store/sqlite/open-database.js';
import { TestAgent } from '../core-server/test/support/signed-test-client.js';
import { startBenchCore } from './support/bench-core.js';

const N = Number(process.argv[2] ?? 100_000);
const BATCH = 1000;
const SAMPLES = 150;
const WORDS = ['beach', 'harbour', 'wedding', 'forest', 'concert', 'street', 'garden', 'studio'];

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const { base, server } = await startBenchCore('bench-assets-', 0);
try {
  const t0 = performance.now();
  const started = Date.now() - N * 1000;
  for (let b = 0; b * BATCH < N; b++) {
    const inserts = [];
    for (let i = b * BATCH; i < Math.min(N, (b + 1) * BATCH); i++) {
      const name = `${WORDS[i % WORDS.length]}-${i}.jpg`;
      inserts.push({
        uuid: randomUUID(),
        media_type: 'PHOTO' as const,
        profile: 'photo_standard' as const,
        relative_path: `INBOX/d${Math.floor(i / 1000)}/${name}`,
        name,
        size_bytes: 1000 + i,
        mtime_ms: started + i,
        sidecars: [],
      });
    }
    await server.context.store.applyScan(
      { inserts, updates: [], ready: [] },
      server.context.flags,
      started + b * 60_000,
    );
  }
  // Facts as agents would have written them: a capture time on 9 assets in 10 (files without
  // EXIF have none), a duration on 1 in 4 (clips), so the nullable sorts have NULLs to place.
  const db = new Database(path.join(base, 'data', DATABASE_FILE));
  db.prepare(
    `UPDATE assets SET facts = json_object(
       'media_format', 'jpeg', 'width', 640, 'height', 480,
       'captured_at', CASE WHEN rowid % 10 <> 0
         THEN strftime('%Y-%m-%dT%H:%M:%SZ', 1600000000 + (rowid * 7919) % 50000000, 'unixepoch') END,
       'duration_ms', CASE WHEN rowid % 4 = 0 THEN (rowid * 104729) % 3600000 END)`,
  ).run();
  db.close();
  console.log(`seeded ${N} assets in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const agent = await TestAgent.enrol(server, { register: false });
  const time = async (p: string) => {
    const t = performance.now();
    const r = await agent.get(p);
    const ms = performance.now() - t;
    if (r.status !== 200) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return { ms, body: r.body as { items: unknown[]; next_cursor: string | null } };
  };
  const measure = async (label: string, pathFor: (i: number) => string) => {
    const xs: number[] = [];
    const cpu = process.cpuUsage();
    for (let i = 0; i < SAMPLES; i++) xs.push((await time(pathFor(i))).ms);
    const used = process.cpuUsage(cpu);
    console.log(
      `${label.padEnd(44)} p50 ${pct(xs, 50).toFixed(1).padStart(6)} ms  p99 ${pct(xs, 99).toFixed(1).padStart(6)} ms  ` +
        `(${((used.user + used.system) / 1000 / SAMPLES).toFixed(2)} ms CPU per request)`,
    );
    return xs;
  };
  // Warm-up (JIT, page cache).
  for (let i = 0; i < 30; i++) await time('/assets?limit=50');
  const baseline = await measure('baseline GET /app/policy', () => '/app/policy');
  // Walks through the cursors from the first page to the last: what a client listing everything
  // sees. Every sort pages by key: the deepest page costs what the first does (the capture-time
  // sort included, whose missing values sort last).
  for (const sort of ['-created_at', 'name', '-captured_at']) {
    const walk: number[] = [];
    const cpu = process.cpuUsage();
    let cursor: string | null = null;
    do {
      const r = await time(
        `/assets?limit=50&sort=${sort}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      walk.push(r.ms);
      cursor = r.body.next_cursor;
    } while (cursor);
    const used = process.cpuUsage(cpu);
    console.log(
      `${`all ${walk.length} pages by next_cursor, sort=${sort}`.padEnd(44)} p50 ${pct(walk, 50).toFixed(1).padStart(6)} ms  p99 ${pct(walk, 99).toFixed(1).padStart(6)} ms  ` +
        `(${((used.user + used.system) / 1000 / walk.length).toFixed(2)} ms CPU per request)`,
    );
  }
  const rows: [string, (i: number) => string][] = [
    ['first page, default sort (-created_at)', () => '/assets?limit=50'],
    ['first page, sort=-updated_at', () => '/assets?limit=50&sort=-updated_at'],
    ['first page, sort=name', () => '/assets?limit=50&sort=name'],
    ['first page, sort=-captured_at', () => '/assets?limit=50&sort=-captured_at'],
    ['first page, sort=captured_at', () => '/assets?limit=50&sort=captured_at'],
    ['first page, sort=-duration', () => '/assets?limit=50&sort=-duration'],
    ['first page, state=DISCOVERED (all match)', () => '/assets?limit=50&state=DISCOVERED'],
    ['first page, state=READY (none match)', () => '/assets?limit=50&state=READY'],
    ['first page, q=<word>', (i) => `/assets?limit=50&q=${WORDS[i % WORDS.length]}`],
    // A numeric (offset) cursor, still accepted from older clients: linear in the depth.
    ['offset cursor at a random depth (legacy)', () => `/assets?limit=50&cursor=${deep()}`],
  ];
  function deep() {
    return String(Math.floor(Math.random() * (N - 50)));
  }
  const all: number[] = [];
  for (const [label, p] of rows) {
    const xs = await measure(label, p);
    if (!label.includes('legacy')) all.push(...xs);
  }
  const firstP99 = pct(all, 99);
  console.log(
    `all first pages: p99 ${firstP99.toFixed(1)} ms (target < 20); ratio to baseline p99 ${(firstP99 / pct(baseline, 99)).toFixed(1)}`,
  );
} finally {
  await server.close();
  await rm(base, { recursive: true, force: true });
}
