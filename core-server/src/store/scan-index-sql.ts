// SQL shared by both backends for the scan index (the INBOX scanner's view of every asset) and
// its version: the scanner keeps the index in memory between scans and reloads it only when the
// version moved (docs/core-performance.md, "Rescans"). The version is kept by triggers, so every
// writer, in this process, another one or another replica, moves it in the same transaction as
// its change; the scanner never has to trust a writer to remember.
//
// Both constants are part of shipped migrations (SQLite 11, PostgreSQL 5): never edit them. A
// change needs a new migration that drops and recreates the triggers with new text.

/** An asset's state (the column named) as discovery sees it: a ScanPhase. */
const scanPhaseOf = (column: string) =>
  `CASE ${column} WHEN 'DISCOVERED' THEN 'discovered' WHEN 'PURGED' THEN 'purged' ELSE 'settled' END`;

export const SCAN_PHASE_SQL = scanPhaseOf('state');

/**
 * True when an UPDATE changed what loadScanIndex returns. Moves between settled states (READY,
 * PROCESSING, DECISION_PENDING, …: every job commit) are not changes, so job commits never touch
 * the version row.
 */
export const SCAN_INDEX_CHANGED_SQL = `
  OLD.relative_path IS DISTINCT FROM NEW.relative_path
  OR OLD.sidecars IS DISTINCT FROM NEW.sidecars
  OR OLD.size_bytes IS DISTINCT FROM NEW.size_bytes
  OR OLD.mtime_ms IS DISTINCT FROM NEW.mtime_ms
  OR OLD.stable_scans IS DISTINCT FROM NEW.stable_scans
  OR ${scanPhaseOf('OLD.state')} IS DISTINCT FROM ${scanPhaseOf('NEW.state')}`;
