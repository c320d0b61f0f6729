// The contract's `sort` values of GET /assets and the SQL ORDER BY each one means. Ties are
// stabilised by uuid ascending, as the contract says. `-updated_at` is what live review pages
// poll: the most recently changed assets first (docs/review-page.md).
export const ASSET_SORTS = [
  'name',
  '-name',
  'created_at',
  '-created_at',
  'updated_at',
  '-updated_at',
  'captured_at',
  '-captured_at',
  'duration',
  '-duration',
  'media_type',
  '-media_type',
  'state',
  '-state',
] as const;
export type AssetSort = (typeof ASSET_SORTS)[number];

const COLUMN: Record<string, string> = {
  name: 'name COLLATE NOCASE',
  created_at: 'created_at',
  updated_at: 'updated_at',
  captured_at: "json_extract(facts, '$.captured_at')",
  duration: "json_extract(facts, '$.duration_ms')",
  media_type: 'media_type',
  state: 'state',
};

export function isAssetSort(value: string): value is AssetSort {
  return (ASSET_SORTS as readonly string[]).includes(value);
}

/** ORDER BY clause for a validated sort (NULLs last either way). */
export function orderByFor(sort: AssetSort = '-created_at'): string {
  const desc = sort.startsWith('-');
  const column = COLUMN[desc ? sort.slice(1) : sort]!;
  // The NULL test leaves the collation out (it cannot change the answer): SQLite matches an
  // ORDER BY to an index expression by its text, and the name indexes (migration 9) say
  // `name IS NULL`; with the COLLATE inside the test, every name-sorted page sorted every asset.
  const nullTest = column.replace(/ COLLATE \w+$/, '');
  return `${nullTest} IS NULL, ${column} ${desc ? 'DESC' : 'ASC'}, uuid ASC`;
}
