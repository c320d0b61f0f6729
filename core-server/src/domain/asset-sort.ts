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
export const DEFAULT_SORT: AssetSort = '-created_at';

/** How one database spells each sort's value, and a cursor key bound as a parameter. */
export interface SortDialect {
  column: Record<SortField, string>;
  /** The SQL compared to the column for a bound key value (PostgreSQL lowers names). */
  key(field: SortField, placeholder: string): string;
}
type SortField = Exclude<AssetSort, `-${string}`>;

export const SQLITE_SORT: SortDialect = {
  column: {
    name: 'name COLLATE NOCASE',
    created_at: 'created_at',
    updated_at: 'updated_at',
    captured_at: "json_extract(facts, '$.captured_at')",
    duration: "json_extract(facts, '$.duration_ms')",
    media_type: 'media_type',
    state: 'state',
  },
  key: (_field, placeholder) => placeholder,
};

/**
 * Every sort pages by keyset cursors: the next page starts after the last row's (value, uuid),
 * so assets discovered while someone pages never shift the pages (an offset cursor showed rows
 * twice), and a deep page seeks to its key in the sort's index instead of walking to an offset.
 *
 * Sorts on NOT NULL columns (name, created_at, media_type, state) order by the column. The
 * others order by their value with a stand-in for a missing one that comes after every real
 * value in that direction, so NULLs stay last either way with no NULL test, and one expression
 * (indexed as it is written: SQLite schema v14, PostgreSQL v8) orders, keys and seeks. The
 * values make the stand-ins safe: times are ISO-8601 text, which starts with a digit
 * ('' < it < '~'), and a duration whole milliseconds from 0 (-1 < it < 2^53 - 1).
 */
const NULL_STAND_IN = {
  updated_at: { asc: '~', desc: '', of: (a: KeyedAsset) => a.updated_at },
  captured_at: { asc: '~', desc: '', of: (a: KeyedAsset) => a.facts.captured_at },
  duration: { asc: Number.MAX_SAFE_INTEGER, desc: -1, of: (a: KeyedAsset) => a.facts.duration_ms },
} as const;
type StandInField = keyof typeof NULL_STAND_IN;

/** What a key is read from: an asset's NOT NULL columns, updated_at and two facts. */
interface KeyedAsset {
  uuid: string;
  name: string;
  created_at: string;
  media_type: string;
  state: string;
  updated_at: string | null;
  facts: { captured_at?: string; duration_ms?: number };
}

const hasStandIn = (field: SortField): field is StandInField => field in NULL_STAND_IN;

function standIn(field: StandInField, desc: boolean): string | number {
  return NULL_STAND_IN[field][desc ? 'desc' : 'asc'];
}

const sqlLiteral = (v: string | number) => (typeof v === 'number' ? String(v) : `'${v}'`);

/** What the sort orders by: the column, or the value with its stand-in for a missing one. */
function sortedExpression(field: SortField, desc: boolean, dialect: SortDialect): string {
  const column = dialect.column[field];
  return hasStandIn(field) ? `coalesce(${column}, ${sqlLiteral(standIn(field, desc))})` : column;
}

export function isAssetSort(value: string): value is AssetSort {
  return (ASSET_SORTS as readonly string[]).includes(value);
}

function fieldOf(sort: AssetSort): { field: SortField; desc: boolean } {
  const desc = sort.startsWith('-');
  return { field: (desc ? sort.slice(1) : sort) as SortField, desc };
}

/** ORDER BY clause for a validated sort (NULLs last either way, ties by uuid ascending). */
export function orderByFor(sort: AssetSort = DEFAULT_SORT, dialect = SQLITE_SORT): string {
  const { field, desc } = fieldOf(sort);
  const sorted = sortedExpression(field, desc, dialect);
  return `${sorted} ${desc ? 'DESC' : 'ASC'}, uuid ASC`;
}

/** Where a keyset page resumes: the last row's sort value and uuid. */
export interface AssetListKey {
  value: string | number;
  uuid: string;
}

/** Whether a keyset cursor's value for `sort` is a number (durations) or text (the others). */
export function keyIsNumber(sort: AssetSort): boolean {
  return fieldOf(sort).field === 'duration';
}

/** The key a page ending on `asset` resumes after. */
export function keyOf(sort: AssetSort = DEFAULT_SORT, asset: KeyedAsset): AssetListKey {
  const { field, desc } = fieldOf(sort);
  if (hasStandIn(field)) {
    return { value: NULL_STAND_IN[field].of(asset) ?? standIn(field, desc), uuid: asset.uuid };
  }
  return { value: asset[field as Exclude<SortField, StandInField>], uuid: asset.uuid };
}

/**
 * An index's columns for `sort`: exactly its ORDER BY (a database uses an index on an expression
 * only for the same expression), so the migrations build the list indexes from here.
 */
export function sortIndexColumns(sort: AssetSort, dialect = SQLITE_SORT): string {
  const { field, desc } = fieldOf(sort);
  return `${sortedExpression(field, desc, dialect)}${desc ? ' DESC' : ''}, uuid`;
}

/**
 * Rows strictly after `key` in the sort's order. Written as a range on the column plus an
 * exclusion of the ties already seen, which SQLite turns into an index seek (an OR of the two
 * cases made it scan from the start). `bind` adds a parameter and returns its placeholder.
 */
export function afterKeyCondition(
  sort: AssetSort = DEFAULT_SORT,
  key: AssetListKey,
  bind: (value: string | number) => string,
  dialect = SQLITE_SORT,
): string {
  const { field, desc } = fieldOf(sort);
  const sorted = sortedExpression(field, desc, dialect);
  const bound = dialect.key(field, bind(key.value));
  const tie = dialect.key(field, bind(key.value));
  return `(${sorted} ${desc ? '<=' : '>='} ${bound} AND NOT (${sorted} = ${tie} AND uuid <= ${bind(key.uuid)}))`;
}
