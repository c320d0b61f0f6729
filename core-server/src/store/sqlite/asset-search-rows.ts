// The SQLite search index (FTS5 tables asset_search: name + transcript, asset_notes_search:
// notes) keys each row by its asset's rowid since migration 10. Why rowids and not the uuid
// column: an FTS5 table has no index on a column, so `WHERE uuid = ?` read all 100,000 rows
// (30 ms inside the write transaction of every transcript submit at that size, against 0.4 ms
// by rowid), and a search read the uuid of every match from the FTS content table (24 ms for a
// word in 12,500 names) where the rowids come from the index alone (1.7 ms).
//
// Rowids of a table without INTEGER PRIMARY KEY can change on VACUUM (an operator running it by
// hand), so the index is checked against the assets when the database opens and rebuilt if any
// row points elsewhere; every query still reads the asset rows themselves, never the FTS uuid.
import type { Database } from 'better-sqlite3';
import { queryWords } from '../search-words.js';

/** Indexes a newly discovered asset's name (no transcript yet). */
export function indexAssetName(db: Database, uuid: string): void {
  db.prepare(
    `INSERT INTO asset_search (rowid, uuid, name, transcript)
       SELECT rowid, uuid, name, '' FROM assets WHERE uuid = ?`,
  ).run(uuid);
}

/** Replaces the asset's indexed transcript text ('' clears it). */
export function indexAssetTranscript(db: Database, uuid: string, text: string): void {
  db.prepare(
    'DELETE FROM asset_search WHERE rowid = (SELECT rowid FROM assets WHERE uuid = ?)',
  ).run(uuid);
  db.prepare(
    `INSERT INTO asset_search (rowid, uuid, name, transcript)
       SELECT rowid, uuid, name, ? FROM assets WHERE uuid = ?`,
  ).run(text, uuid);
}

/**
 * Rebuilds both FTS tables from the assets when any of their rows no longer points at the asset
 * it was written for (rowids renumbered by a VACUUM). About 0.1 s at 100,000 assets, at open.
 */
export function repairSearchRowids(db: Database): boolean {
  const drifted = db
    .prepare(
      `SELECT 1 FROM asset_search s LEFT JOIN assets a ON a.rowid = s.rowid
         WHERE a.uuid IS NOT s.uuid
       UNION ALL
       SELECT 1 FROM asset_notes_search n LEFT JOIN assets a ON a.rowid = n.rowid
         WHERE a.uuid IS NOT n.uuid
       LIMIT 1`,
    )
    .get();
  if (!drifted) return false;
  db.transaction(() => {
    db.exec(`
      CREATE TEMP TABLE search_keep AS
        SELECT a.rowid AS row, a.uuid, s.name, s.transcript
        FROM asset_search s JOIN assets a ON a.uuid = s.uuid;
      DELETE FROM asset_search;
      INSERT INTO asset_search (rowid, uuid, name, transcript)
        SELECT row, uuid, name, transcript FROM search_keep;
      DROP TABLE search_keep;
      DELETE FROM asset_notes_search;
      INSERT INTO asset_notes_search (rowid, uuid, notes)
        SELECT rowid, uuid, notes FROM assets WHERE notes IS NOT NULL AND notes <> '';
    `);
  }).immediate();
  return true;
}

/**
 * The WHERE terms of `q`: every word must match in the name, transcript or notes (one quoted
 * FTS5 prefix phrase of its tokens per word, so user input never reaches FTS syntax).
 *
 * Two ways to answer, picked by how common the first word is. Few matches: look the matching
 * assets up and sort them (cost per match). Many matches: walk the list order's index and keep
 * the rows that match (cost per row walked, ~20× cheaper than per match, but the walk covers
 * `(offset + limit) × assets / matches` rows). The unary `+` keeps SQLite from driving the query
 * by the IN lists. Measured at 100,000 assets: a word in 12,500 names 84 → 5 ms; a word in one
 * name 0.2 ms (a walk would take 17 ms).
 */
export function searchTerms(
  db: Database,
  q: string,
  page: { limit: number; offset: number },
  walkIndex: typeof worthWalking = worthWalking,
): { where: string[]; params: string[] } {
  const words = queryWords(q);
  if (words.length === 0) return { where: ['0'], params: [] };
  const phrases = words.map((tokens) => `"${tokens.join(' ')}"*`);
  const walk = walkIndex(db, phrases[0]!, page);
  const row = walk ? '+rowid' : 'rowid';
  return {
    where: phrases.map(
      () =>
        `(${row} IN (SELECT rowid FROM asset_search WHERE asset_search MATCH ?)
          OR ${row} IN (SELECT rowid FROM asset_notes_search WHERE asset_notes_search MATCH ?))`,
    ),
    params: phrases.flatMap((p) => [p, p]),
  };
}

/** Per-row costs measured on the development machine: ~3.5 µs per match, ~0.17 µs per row walked. */
const MATCH_TO_WALK_COST = 20;

function worthWalking(
  db: Database,
  phrase: string,
  page: { limit: number; offset: number },
): boolean {
  const { matches } = db
    .prepare(
      `SELECT (SELECT count(*) FROM asset_search WHERE asset_search MATCH ?)
            + (SELECT count(*) FROM asset_notes_search WHERE asset_notes_search MATCH ?) AS matches`,
    )
    .get(phrase, phrase) as { matches: number };
  if (matches === 0) return false;
  // max(rowid) reads one index entry: a good enough estimate of the asset count.
  const { assets } = db.prepare('SELECT coalesce(max(rowid), 0) AS assets FROM assets').get() as {
    assets: number;
  };
  const rowsWalked = ((page.offset + page.limit) * assets) / matches;
  return rowsWalked < matches * MATCH_TO_WALK_COST;
}
