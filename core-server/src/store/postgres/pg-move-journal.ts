// The moves domain's persistence ports on PostgreSQL (same contract as ../sqlite/sqlite-move-journal.ts).
// Lock acquisition serialises per asset with a transaction advisory lock, so two replicas asking
// for the same asset at once cannot both see "no foreign lock" and both take it.
import type pg from 'pg';
import type { AssetState } from '@retaia/protocol';
import {
  StateConflictError,
  toMovableAsset,
  type AssetAuditEvent,
  type AssetLockKind,
  type AssetLockRequest,
  type AssetRecords,
  type MovableAsset,
  type MoveJournal,
  type MoveJournalEntry,
  type TransitionCause,
} from '../../moves/index.js';
import { ASSET_LOCK_NAMESPACE } from './pg-advisory-locks.js';
import { loadAsset, setAssetState } from './pg-asset-lifecycle.js';
import { all, inTransaction, one, run, type Queryable } from './pg-db.js';

export class PgMoveJournal implements MoveJournal {
  constructor(private readonly pool: pg.Pool) {}

  async tryAcquireLock(req: AssetLockRequest): Promise<boolean> {
    const nowMs = req.now.getTime();
    return inTransaction(this.pool, async (c) => {
      await run(c, 'SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        ASSET_LOCK_NAMESPACE,
        req.asset_uuid,
      ]);
      const foreign = await one(
        c,
        'SELECT 1 FROM asset_locks WHERE asset_uuid = $1 AND owner <> $2 AND expires_at_ms > $3 LIMIT 1',
        [req.asset_uuid, req.owner, nowMs],
      );
      if (foreign) return false;
      await run(
        c,
        `INSERT INTO asset_locks (asset_uuid, kind, owner, expires_at_ms) VALUES ($1, $2, $3, $4)
         ON CONFLICT (asset_uuid, kind) DO UPDATE SET owner = excluded.owner,
           expires_at_ms = excluded.expires_at_ms`,
        [req.asset_uuid, req.kind, req.owner, nowMs + req.ttl_ms],
      );
      return true;
    });
  }

  async releaseLock(assetUuid: string, kind: AssetLockKind, owner: string): Promise<void> {
    await run(
      this.pool,
      'DELETE FROM asset_locks WHERE asset_uuid = $1 AND kind = $2 AND owner = $3',
      [assetUuid, kind, owner],
    );
  }

  async saveEntry(entry: MoveJournalEntry): Promise<void> {
    await run(
      this.pool,
      `INSERT INTO move_journal (operation_id, asset_uuid, kind, step, entry, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (operation_id) DO UPDATE SET step = excluded.step, entry = excluded.entry`,
      [
        entry.operation_id,
        entry.asset_uuid,
        entry.kind,
        entry.step,
        JSON.stringify(entry),
        entry.created_at,
      ],
    );
  }

  async unfinishedEntries(): Promise<MoveJournalEntry[]> {
    const rows = await all<{ entry: string }>(
      this.pool,
      `SELECT entry FROM move_journal WHERE step NOT IN ('DONE', 'FAILED') ORDER BY created_at, seq`,
    );
    return rows.map((r) => JSON.parse(r.entry) as MoveJournalEntry);
  }

  async appendAudit(e: AssetAuditEvent): Promise<void> {
    await run(
      this.pool,
      `INSERT INTO asset_audit (operation_id, action, asset_uuid, at, details)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [e.operation_id, e.action, e.asset_uuid, e.at, JSON.stringify(e.details)],
    );
  }
}

export class PgAssetRecords implements AssetRecords {
  constructor(
    private readonly pool: pg.Pool,
    private readonly storageId: string,
  ) {}

  async getAsset(uuid: string): Promise<MovableAsset | undefined> {
    const asset = await loadAsset(this.pool, uuid);
    return asset ? toMovableAsset(asset, this.storageId) : undefined;
  }

  async updatePaths(
    uuid: string,
    paths: { original_relative: string; sidecars_relative: string[] },
  ): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      const asset = await loadAsset(c, uuid, true);
      if (!asset || asset.relative_path === paths.original_relative) return;
      await run(
        c,
        `UPDATE assets SET relative_path = $1, sidecars = $2, path_history = $3,
           revision = revision + 1, updated_at = $4 WHERE uuid = $5`,
        [
          paths.original_relative,
          JSON.stringify(paths.sidecars_relative),
          JSON.stringify([...asset.path_history, asset.relative_path]),
          new Date().toISOString(),
          uuid,
        ],
      );
    });
  }

  async transitionState(uuid: string, from: AssetState, to: AssetState, cause: TransitionCause) {
    await inTransaction(this.pool, async (c) => {
      const asset = await loadAsset(c, uuid, true);
      if (!asset || asset.state !== from) {
        throw new StateConflictError(
          `asset ${uuid} is ${asset?.state ?? 'unknown'}, expected ${from}; not moved to ${to}`,
          { asset_uuid: uuid, expected: from, actual: asset?.state },
        );
      }
      await setAssetState(c, asset, to, cause, new Date().toISOString());
      if (to === 'PURGED') await c.query('DELETE FROM derived_files WHERE asset_uuid = $1', [uuid]);
    });
  }
}

/** Assets holding a live move or purge lock. */
export async function lockedAssetUuids(q: Queryable, nowMs: number): Promise<Set<string>> {
  const rows = await all<{ asset_uuid: string }>(
    q,
    'SELECT DISTINCT asset_uuid FROM asset_locks WHERE expires_at_ms > $1',
    [nowMs],
  );
  return new Set(rows.map((r) => r.asset_uuid));
}

export async function isAssetLocked(q: Queryable, uuid: string, nowMs: number): Promise<boolean> {
  return !!(await one(
    q,
    'SELECT 1 FROM asset_locks WHERE asset_uuid = $1 AND expires_at_ms > $2 LIMIT 1',
    [uuid, nowMs],
  ));
}
