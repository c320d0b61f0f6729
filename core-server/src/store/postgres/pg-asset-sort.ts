// ORDER BY for the contract's asset sorts on PostgreSQL: what ../../domain/asset-sort.ts says
// for SQLite (NULLs last either way, ties by uuid ascending), with PostgreSQL's JSON operators.
import type { AssetSort } from '../../domain/asset-sort.js';

const COLUMN: Record<string, string> = {
  // SQLite's NOCASE folds ASCII letters only; lower() under the "C" collation does the same.
  name: 'lower(name)',
  created_at: 'created_at',
  updated_at: 'updated_at',
  captured_at: `(facts::jsonb ->> 'captured_at')`,
  duration: `(CASE WHEN jsonb_typeof(facts::jsonb -> 'duration_ms') = 'number'
                   THEN (facts::jsonb ->> 'duration_ms')::double precision END)`,
  media_type: 'media_type',
  state: 'state',
};

export function pgOrderByFor(sort: AssetSort = '-created_at'): string {
  const desc = sort.startsWith('-');
  const column = COLUMN[desc ? sort.slice(1) : sort]!;
  return `${column} IS NULL, ${column} ${desc ? 'DESC' : 'ASC'}, uuid ASC`;
}
