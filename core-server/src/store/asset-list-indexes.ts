// The asset-list indexes of SQLite schema v14 and PostgreSQL v8: one per direction of the
// capture-time and duration sorts, and -updated_at's rebuilt on its keyed expression. Each is
// built from the sort's own ORDER BY (domain/asset-sort.ts), so the index a database creates is
// the one the list query can use (asset-list-plans.test.ts checks both databases do). A later
// change to one of these sort expressions needs a migration that rebuilds its index: databases
// already at v14 / v8 keep the index built here.
import { sortIndexColumns, type AssetSort, type SortDialect } from '../domain/asset-sort.js';

const KEYED_SORT_INDEXES: Array<[name: string, sort: AssetSort]> = [
  ['assets_list_captured', 'captured_at'],
  ['assets_list_captured_desc', '-captured_at'],
  ['assets_list_duration', 'duration'],
  ['assets_list_duration_desc', '-duration'],
];

export function keyedSortIndexesSql(dialect: SortDialect): string {
  return [
    ...KEYED_SORT_INDEXES.map(
      ([name, sort]) => `CREATE INDEX ${name} ON assets(${sortIndexColumns(sort, dialect)});`,
    ),
    'DROP INDEX assets_list_updated;',
    `CREATE INDEX assets_list_updated ON assets(${sortIndexColumns('-updated_at', dialect)});`,
  ].join('\n');
}
