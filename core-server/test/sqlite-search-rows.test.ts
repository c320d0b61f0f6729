// The SQLite search index keyed by asset rowid (store/sqlite/asset-search-rows.ts): a database
// from before migration 10 keeps finding the right assets, rowids renumbered behind Core's back
// (what a hand-run VACUUM may do) are repaired at open, and both ways of answering a query (look
// the matches up, or walk the list index) return the same assets in the same order.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { FEATURE_FLAGS } from '@retaia/protocol';
import { orderByFor } from '../src/domain/asset-sort.js';
import { searchTerms } from '../src/store/sqlite/asset-search-rows.js';
import { MIGRATIONS } from '../src/store/sqlite/migrations.js';
import { DATABASE_FILE } from '../src/store/sqlite/open-database.js';
import { SqliteCoreStore } from '../src/store/sqlite/sqlite-core-store.js';
import { ALL_CAPABILITIES, newAsset } from './store-conformance/fixtures.js';

const flags = { [FEATURE_FLAGS.transcribeAudio]: true };
const NAMES = ['harbour-dawn.jpg', 'Harbour_night.mov', 'forest.jpg', 'beach-1.jpg', 'beach-2.jpg'];

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'search-rows-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Five named assets, notes on one, a transcript on an audio asset. */
async function seed(store: SqliteCoreStore): Promise<void> {
  const assets = NAMES.map((name, i) => newAsset(i, { name }));
  await store.applyScan({ inserts: assets, updates: [], ready: [] }, flags, 1000);
  const forest = (await store.getAsset(assets[2]!.uuid))!;
  await store.patchAsset({
    uuid: forest.uuid,
    expectedRevision: forest.revision,
    nowMs: 2000,
    by: 'op',
    patch: { notes: 'drone shot over the HARBOUR' },
    flags,
  });
  const audio = newAsset(9, { media_type: 'AUDIO', profile: 'audio_voice', name: 'memo.wav' });
  await store.applyScan({ inserts: [audio], updates: [], ready: [audio.uuid] }, flags, 3000);
  const job = (await store.listAssetJobs(audio.uuid)).find(
    (j) => j.job_type === 'transcribe_audio',
  )!;
  const { job: c } = await store.claimJob({
    jobId: job.job_id,
    agentId: 'a',
    effectiveCapabilities: ALL_CAPABILITIES,
    flags,
    nowMs: 4000,
    leaseTtlMs: 60_000,
  });
  await store.completeJob({
    jobId: job.job_id,
    agentId: 'a',
    lockToken: c.lock_token!,
    fencingToken: c.fencing_token,
    nowMs: 5000,
    jobType: 'transcribe_audio',
    transcript: { status: 'DONE', text: 'meet at the harbour at dawn' },
    flags,
  });
}

const EXPECTED: Record<string, string[]> = {
  harbour: ['Harbour_night.mov', 'forest.jpg', 'harbour-dawn.jpg', 'memo.wav'],
  dawn: ['harbour-dawn.jpg', 'memo.wav'],
  'harbour dawn': ['harbour-dawn.jpg', 'memo.wav'],
  drone: ['forest.jpg'],
  beach: ['beach-1.jpg', 'beach-2.jpg'],
  nothing: [],
};

async function assertFinds(store: SqliteCoreStore, why: string): Promise<void> {
  for (const [q, names] of Object.entries(EXPECTED)) {
    const found = (await store.listAssets({ q, limit: 50, offset: 0 })).map((a) => a.name);
    assert.deepEqual(found.sort(), names, `${why}: q=${q}`);
  }
}

test('walking the list index and looking matches up return the same page', async (t) => {
  const dir = await tempDir(t);
  const store = new SqliteCoreStore(dir);
  t.after(() => store.close());
  await seed(store);
  for (const q of [...Object.keys(EXPECTED), 'harbour beach']) {
    for (const page of [
      { limit: 50, offset: 0 },
      { limit: 1, offset: 1 },
    ]) {
      const pageOf = (walk: boolean) => {
        const { where, params } = searchTerms(store.db, q, page, () => walk);
        return (
          store.db
            .prepare(
              `SELECT name FROM assets WHERE ${where.join(' AND ')}
               ORDER BY ${orderByFor('name')} LIMIT ? OFFSET ?`,
            )
            .all(...params, page.limit, page.offset) as Array<{ name: string }>
        ).map((r) => r.name);
      };
      assert.deepEqual(pageOf(true), pageOf(false), `q=${q} ${JSON.stringify(page)}`);
    }
  }
});

test('rowids renumbered behind Core (a hand-run VACUUM) are repaired at open', async (t) => {
  const dir = await tempDir(t);
  const store = new SqliteCoreStore(dir);
  await seed(store);
  await assertFinds(store, 'before');
  await store.close();
  const raw = new Database(path.join(dir, DATABASE_FILE));
  // Reverse the rowids (1..6 become 6..1): each search row now points at another asset.
  raw.exec('UPDATE assets SET rowid = -rowid');
  raw.exec('UPDATE assets SET rowid = (SELECT count(*) FROM assets) + 1 + rowid');
  raw.close();
  const reopened = new SqliteCoreStore(dir);
  t.after(() => reopened.close());
  await assertFinds(reopened, 'after the renumbering');
});

test('a database from before migration 10 (search rows keyed by uuid) finds the same assets', async (t) => {
  const dir = await tempDir(t);
  const raw = new Database(path.join(dir, DATABASE_FILE));
  for (const m of MIGRATIONS.filter((m) => m.version <= 8)) raw.exec(m.sql);
  raw.pragma('user_version = 8');
  // As Core 8 wrote them: search rows in their own rowid order (reverse here, so no rowid
  // matches its asset's by chance).
  const names = ['a-harbour.jpg', 'b-forest.jpg', 'c-harbour.jpg'];
  names.forEach((name, i) => {
    raw
      .prepare(
        `INSERT INTO assets (uuid, media_type, state, relative_path, name, size_bytes, mtime_ms,
           stable_scans, profile, sidecars, created_at, updated_at)
         VALUES (?, 'PHOTO', 'DISCOVERED', ?, ?, 1, 1, 0, 'photo_standard', '[]', ?, ?)`,
      )
      .run(`u-${i}`, `INBOX/${name}`, name, `2026-01-0${i + 1}`, `2026-01-0${i + 1}`);
  });
  for (const [i, name] of [...names.entries()].reverse())
    raw
      .prepare(`INSERT INTO asset_search (uuid, name, transcript) VALUES (?, ?, '')`)
      .run(`u-${i}`, name);
  raw.prepare(`UPDATE assets SET notes = 'harbour at dusk' WHERE uuid = 'u-1'`).run();
  raw.close();
  const store = new SqliteCoreStore(dir);
  t.after(() => store.close());
  const found = async (q: string) =>
    (await store.listAssets({ q, limit: 50, offset: 0 })).map((a) => a.name).sort();
  assert.deepEqual(await found('harbour'), ['a-harbour.jpg', 'b-forest.jpg', 'c-harbour.jpg']);
  assert.deepEqual(await found('forest'), ['b-forest.jpg']);
  assert.deepEqual(await found('dusk'), ['b-forest.jpg']);
});
