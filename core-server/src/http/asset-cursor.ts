// GET /assets cursors (opaque to clients, as the contract says). Every sort pages by key: the
// cursor carries the sort and the last row's (value, uuid), so the next page seeks to it whatever
// the depth and is not shifted by assets added meanwhile. A decimal cursor (an offset) from an
// older Core is still accepted.
import { keyIsNumber, keyOf, type AssetListKey, type AssetSort } from '../domain/asset-sort.js';
import { validationFailed } from '../errors/core-error.js';
import type { AssetRecord } from '../store/records.js';

const KEY_PREFIX = 'k1.';

export interface ListPosition {
  offset: number;
  after?: AssetListKey;
}

export function parseAssetCursor(cursor: string | undefined, sort: AssetSort): ListPosition {
  if (!cursor) return { offset: 0 };
  if (/^\d{1,9}$/.test(cursor)) return { offset: Number(cursor) };
  if (!cursor.startsWith(KEY_PREFIX)) throw invalid();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor.slice(KEY_PREFIX.length), 'base64url').toString());
  } catch {
    throw invalid();
  }
  const { s, v, u } = (decoded ?? {}) as { s?: unknown; v?: unknown; u?: unknown };
  const value = keyIsNumber(sort)
    ? typeof v === 'number' && Number.isFinite(v)
    : typeof v === 'string' && v.length <= 2000;
  if (typeof u !== 'string' || u.length > 100) throw invalid();
  if (s !== sort)
    throw validationFailed(
      'this cursor belongs to a list with another sort: ask for the first page again',
    );
  if (!value) throw invalid();
  return { offset: 0, after: { value: v as string | number, uuid: u } };
}

/** After a page of an offset cursor too: an older client's next page is keyed. */
export function nextAssetCursor(
  sort: AssetSort,
  page: AssetRecord[],
  more: boolean,
): string | null {
  if (!more || page.length === 0) return null;
  const { value, uuid } = keyOf(sort, page.at(-1)!);
  return (
    KEY_PREFIX + Buffer.from(JSON.stringify({ s: sort, v: value, u: uuid })).toString('base64url')
  );
}

function invalid() {
  return validationFailed('invalid cursor: use the next_cursor of the previous page as it is');
}
