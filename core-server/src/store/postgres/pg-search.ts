// Full-text search of asset names and transcripts on PostgreSQL, with the SQLite FTS5 path's
// semantics (unicode61 tokenizer, every query word a quoted prefix term, all words required):
// - text is cut into tokens at every character that is not a letter or digit, lower-cased, with
//   diacritics removed ("Café_01.MOV" → "cafe 01 mov") — here, in JS, for the stored text and
//   for the query alike, so PostgreSQL's own parser (which would keep "01.mov" as a file name)
//   only ever sees plain words. The 'simple' configuration keeps every word (no stemming, no
//   stop words), as FTS5 does;
// - a query word is a phrase of its tokens with a prefix on the last ("foo-ba" → foo <-> ba:*),
//   matching in one column (name or transcript); every word must match, in either column.
import type { Queryable } from './pg-db.js';

const NOT_TOKEN = /[^\p{L}\p{N}\p{Co}]+/u;

export function searchTokens(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(NOT_TOKEN)
    .filter(Boolean);
}

/** The text stored in a tsvector column (tokens separated by spaces). */
export const searchDocument = (text: string) => searchTokens(text).join(' ');

/**
 * One tsquery per query word (as text for `::tsquery`); words without any token ("---") are
 * dropped, as FTS5 ignores their empty phrase next to other words. Tokens only hold letters and
 * digits, so quoting them is enough to keep user input out of tsquery syntax.
 */
export function searchTerms(q: string): string[] {
  return q
    .split(/\s+/)
    .map(searchTokens)
    .filter((tokens) => tokens.length > 0)
    .map((tokens) =>
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
    return `(s.name @@ ${p} OR s.transcript @@ ${p})`;
  });
  return `uuid IN (SELECT s.uuid FROM asset_search s WHERE ${clauses.join(' AND ')})`;
}

export async function indexAssetName(q: Queryable, uuid: string, name: string): Promise<void> {
  await q.query(
    `INSERT INTO asset_search (uuid, name, transcript)
     VALUES ($1, to_tsvector('simple', $2), ''::tsvector)
     ON CONFLICT (uuid) DO UPDATE SET name = excluded.name`,
    [uuid, searchDocument(name)],
  );
}

export async function indexTranscript(q: Queryable, uuid: string, text: string): Promise<void> {
  await q.query(`UPDATE asset_search SET transcript = to_tsvector('simple', $2) WHERE uuid = $1`, [
    uuid,
    searchDocument(text),
  ]);
}
