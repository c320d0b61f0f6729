// The moves domain's persistence ports (src/moves/move-journal.ts) on the SQLite store. Every
// method is one statement or one IMMEDIATE transaction, so a crash between two journal steps
// leaves either the old or the new step, never half of one — recovery relies on that.
import type { AssetState } from '@retaia/protocol';
import type { Database } from 'better-sqlite3';
import {
  StateConflictError,
  type AssetAuditEvent,
  type AssetLockKind,
  type AssetLockRequest,
  type AssetRecords,
  type MovableAsset,
  type MoveJournal,
  type MoveJournalEntry,
  type TransitionCause,
  toMovableAsset,
} from '../../moves/index.js';
import { loadAsset, setAssetState } from './asset-lifecycle.js';

export class SqliteMoveJournal implements MoveJournal {
  constructor(private readonly db: Database) {}

  async tryAcquireLock(req: AssetLockRequest): Promise<boolean> {
    const nowMs = req.now.getTime();
    return this.db
      .transaction(() => {
        const foreign = this.db
          .prepare(
            'SELECT 1 FROM asset_locks WHERE asset_uuid = ? AND owner <> ? AND expires_at_ms > ? LIMIT 1',
          )
          .get(req.asset_uuid, req.owner, nowMs);
        if (foreign) return false;
        this.db
          .prepare(
            `INSERT INTO asset_locks (asset_uuid, kind, owner, expires_at_ms) VALUES (?, ?, ?, ?)
             ON CONFLICT(asset_uuid, kind) DO UPDATE SET owner = excluded.owner,
               expires_at_ms = excluded.expires_at_ms`,
          )
          .run(req.asset_uuid, req.kind, req.owner, nowMs + req.ttl_ms);
        return true;
      })
      .immediate();
  }

  async releaseLock(assetUuid: string, kind: AssetLockKind, owner: string): Promise<void> {
    this.db
      .prepare('DELETE FROM asset_locks WHERE asset_uuid = ? AND kind = ? AND owner = ?')
      .run(assetUuid, kind, owner);
  }

  async saveEntry(entry: MoveJournalEntry): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO move_journal (operation_id, asset_uuid, kind, step, entry, created_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(operation_id) DO UPDATE SET step = excluded.step, entry = excluded.entry`,
      )
      .run(
        entry.operation_id,
        entry.asset_uuid,
        entry.kind,
        entry.step,
        JSON.stringify(entry),
        entry.created_at,
      );
  }

  async unfinishedEntries(): Promise<MoveJournalEntry[]> {
    return (
      this.db
        .prepare(
          `SELECT entry FROM move_journal WHERE step NOT IN ('DONE', 'FAILED') ORDER BY created_at, rowid`,
        )
        .all() as { entry: string }[]
    ).map((r) => JSON.parse(r.entry) as MoveJournalEntry);
  }

  async appendAudit(e: AssetAuditEvent): Promise<void> {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO asset_audit (operation_id, action, asset_uuid, at, details)
         VALUES (?, ?, ?, ?, ?)`,
      )
      .run(e.operation_id, e.action, e.asset_uuid, e.at, JSON.stringify(e.details));
  }
}

export class SqliteAssetRecords implements AssetRecords {
  constructor(
    private readonly db: Database,
    private readonly storageId: string,
  ) {}

  async getAsset(uuid: string): Promise<MovableAsset | undefined> {
    const asset = loadAsset(this.db, uuid);
    return asset ? toMovableAsset(asset, this.storageId) : undefined;
  }

  async updatePaths(
    uuid: string,
    paths: { original_relative: string; sidecars_relative: string[] },
  ): Promise<void> {
    this.db
      .transaction(() => {
        const asset = loadAsset(this.db, uuid);
        if (!asset || asset.relative_path === paths.original_relative) return;
        const history = [...asset.path_history, asset.relative_path];
        this.db
          .prepare(
            `UPDATE assets SET relative_path = ?, sidecars = ?, path_history = ?,
               revision = revision + 1, updated_at = ? WHERE uuid = ?`,
          )
          .run(
            paths.original_relative,
            JSON.stringify(paths.sidecars_relative),
            JSON.stringify(history),
            new Date().toISOString(),
            uuid,
          );
      })
      .immediate();
  }

  async transitionState(
    uuid: string,
    from: AssetState,
    to: AssetState,
    cause: TransitionCause,
  ): Promise<void> {
    this.db
      .transaction(() => {
        const asset = loadAsset(this.db, uuid);
        if (!asset || asset.state !== from) {
          throw new StateConflictError(
            `asset ${uuid} is ${asset?.state ?? 'unknown'}, expected ${from}; not moved to ${to}`,
            { asset_uuid: uuid, expected: from, actual: asset?.state },
          );
        }
        setAssetState(this.db, asset, to, cause, new Date().toISOString());
        // A purged asset has no derived files left on disk; drop their records too.
        if (to === 'PURGED') {
          this.db.prepare('DELETE FROM derived_files WHERE asset_uuid = ?').run(uuid);
        }
      })
      .immediate();
  }
}

/** Assets holding a live move or purge lock (neither offered to agents nor editable). */
export function lockedAssetUuids(db: Database, nowMs: number): Set<string> {
  return new Set(
    (
      db
        .prepare('SELECT DISTINCT asset_uuid FROM asset_locks WHERE expires_at_ms > ?')
        .all(nowMs) as {
        asset_uuid: string;
      }[]
    ).map((r) => r.asset_uuid),
  );
}

export function isAssetLocked(db: Database, uuid: string, nowMs: number): boolean {
  return !!db
    .prepare('SELECT 1 FROM asset_locks WHERE asset_uuid = ? AND expires_at_ms > ? LIMIT 1')
    .get(uuid, nowMs);
}
