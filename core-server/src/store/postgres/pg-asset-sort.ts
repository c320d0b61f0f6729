// The contract's asset sorts on PostgreSQL: what ../../domain/asset-sort.ts says for SQLite
// (NULLs last either way, ties by uuid ascending, keyset cursors on NOT NULL columns), with
// PostgreSQL's JSON operators.
import {
  afterKeyCondition,
  orderByFor,
  type AssetListKey,
  type AssetSort,
  type SortDialect,
} from '../../domain/asset-sort.js';

export const PG_SORT: SortDialect = {
  column: {
    // SQLite's NOCASE folds ASCII letters only; lower() under the "C" collation does the same.
    name: 'lower(name)',
    created_at: 'created_at',
    updated_at: 'updated_at',
    // "C" as the columns have: byte order, as SQLite (and the stand-in '~' after every digit).
    captured_at: `((facts::jsonb ->> 'captured_at') COLLATE "C")`,
    duration: `(CASE WHEN jsonb_typeof(facts::jsonb -> 'duration_ms') = 'number'
                     THEN (facts::jsonb ->> 'duration_ms')::double precision END)`,
    media_type: 'media_type',
    state: 'state',
  },
  key: (field, placeholder) => (field === 'name' ? `lower(${placeholder}::text)` : placeholder),
};

export function pgOrderByFor(sort?: AssetSort): string {
  return orderByFor(sort, PG_SORT);
}

export function pgAfterKeyCondition(
  sort: AssetSort | undefined,
  key: AssetListKey,
  bind: (value: string | number) => string,
): string {
  return afterKeyCondition(sort, key, bind, PG_SORT);
}
