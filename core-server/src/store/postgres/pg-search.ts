// Full-text search of asset names, transcripts and notes on PostgreSQL, with the SQLite FTS5
// path's semantics (../search-words.ts):
// - text is cut into tokens in JS, for the stored text and the query alike ("Café_01.MOV" →
//   "cafe 01 mov"), so PostgreSQL's own parser (which would keep "01.mov" as a file name) only
//   ever sees plain words; the 'simple' configuration keeps every word (no stemming, no stop
//   words), as FTS5 does;
// - a query word is a phrase of its tokens with a prefix on the last ("foo-ba" → foo <-> ba:*),
//   matching in one column (name, transcript or notes); every word must match, in any column.
import { queryWords, searchTokens } from '../search-words.js';
import { run, type Queryable } from './pg-db.js';

/** The text stored in a tsvector column (tokens separated by spaces). */
export const searchDocument = (text: string) => searchTokens(text).join(' ');

/** One tsquery per query word (text for `::tsquery`); tokens hold only letters and digits, so
 * quoting them keeps user input out of tsquery syntax. */
export function searchTerms(q: string): string[] {
  return queryWords(q).map((tokens) =>
    tokens.map((t, i) => `'${t}'${i === tokens.length - 1 ? ':*' : ''}`).join(' <-> '),
  );
}

/**
 * WHERE fragment for `q` on assets (alias-free `uuid`), appending its parameters to `params`;
 * undefined for a blank query. Words that are all punctuation match nothing (as in FTS5).
 */
export function searchCondition(q: string, params: unknown[]): string | undefined {
  if (!q.trim()) return undefined;
  const terms = searchTerms(q);
  if (terms.length === 0) return 'FALSE';
  const clauses = terms.map((term) => {
    params.push(term);
    const p = `$${params.length}::tsquery`;
    return `(s.name @@ ${p} OR s.transcript @@ ${p} OR s.notes @@ ${p})`;
  });
  return `uuid IN (SELECT s.uuid FROM asset_search s WHERE ${clauses.join(' AND ')})`;
}

export async function indexAssetName(q: Queryable, uuid: string, name: string): Promise<void> {
  await run(
    q,
    `INSERT INTO asset_search (uuid, name, transcript, notes)
     VALUES ($1, to_tsvector('simple', $2), ''::tsvector, ''::tsvector)
     ON CONFLICT (uuid) DO UPDATE SET name = excluded.name`,
    [uuid, searchDocument(name)],
  );
}

export async function indexNotes(q: Queryable, uuid: string, notes: string | null): Promise<void> {
  await run(q, `UPDATE asset_search SET notes = to_tsvector('simple', $2) WHERE uuid = $1`, [
    uuid,
    searchDocument(notes ?? ''),
  ]);
}

export async function indexTranscript(q: Queryable, uuid: string, text: string): Promise<void> {
  await run(q, `UPDATE asset_search SET transcript = to_tsvector('simple', $2) WHERE uuid = $1`, [
    uuid,
    searchDocument(text),
  ]);
}
