// The operations port (../ops-store.ts) on SQLite. Read-only except for the two writes it owns:
// the unmatched-sidecar list a scan records, and dropping one stale asset lock.
import type { Database } from 'better-sqlite3';
import type { AssetLockKind } from '../../moves/index.js';
import { ASSET_LOCK_TTL_MS } from '../../moves/index.js';
import type {
  IngestCounters,
  IngestScanSnapshot,
  JobQueueTypeCounts,
  OperationLock,
  OperationLockFilter,
  OpsStore,
  StaleAssetLock,
  UnmatchedSidecarReason,
  UnmatchedSidecarRow,
} from '../ops-store.js';

const iso = (ms: number) => new Date(ms).toISOString();

// Locks taken before migration 6 have no acquisition time: their TTL start is the best guess.
const LOCK_ACQUIRED_MS = `COALESCE(acquired_at_ms, expires_at_ms - ${ASSET_LOCK_TTL_MS})`;

// One row shape for both kinds of lock, so filters, order and paging apply to their union.
const OPERATION_LOCKS = `
  SELECT asset_uuid || ':' || kind AS id, asset_uuid, kind AS lock_type, owner AS actor_id,
         ${LOCK_ACQUIRED_MS} AS acquired_ms, expires_at_ms AS expires_ms
  FROM asset_locks
  UNION ALL
  SELECT job_id, asset_uuid, 'job_lease', claimed_by,
         CAST(ROUND((julianday(claimed_at) - 2440587.5) * 86400000) AS INTEGER), locked_until_ms
  FROM jobs WHERE status = 'claimed'`;

interface LockRow {
  id: string;
  asset_uuid: string;
  lock_type: OperationLock['lock_type'];
  actor_id: string;
  acquired_ms: number;
  expires_ms: number;
}

export class SqliteOpsStore implements OpsStore {
  constructor(private readonly db: Database) {}

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async jobQueueByType(): Promise<JobQueueTypeCounts[]> {
    // The status index narrows this to unfinished jobs; completed ones are never read.
    return this.db
      .prepare(
        `SELECT job_type,
           SUM(status = 'pending') AS pending,
           SUM(status = 'claimed') AS claimed,
           SUM(status = 'failed') AS failed,
           MIN(CASE WHEN status = 'pending' THEN created_at END) AS oldest_pending_created_at
         FROM jobs WHERE status IN ('pending', 'claimed', 'failed')
         GROUP BY job_type ORDER BY job_type`,
      )
      .all() as JobQueueTypeCounts[];
  }

  async listOperationLocks(f: OperationLockFilter) {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.assetUuid !== undefined) {
      where.push('asset_uuid = ?');
      args.push(f.assetUuid);
    }
    if (f.lockType !== undefined) {
      where.push('lock_type = ?');
      args.push(f.lockType);
    }
    const from = `FROM (${OPERATION_LOCKS}) ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    return this.db
      .transaction(() => {
        const { total } = this.db.prepare(`SELECT COUNT(*) AS total ${from}`).get(...args) as {
          total: number;
        };
        const rows = this.db
          .prepare(`SELECT * ${from} ORDER BY acquired_ms DESC, id LIMIT ? OFFSET ?`)
          .all(...args, f.limit, f.offset) as LockRow[];
        const items = rows.map((r): OperationLock => ({
          id: r.id,
          asset_uuid: r.asset_uuid,
          lock_type: r.lock_type,
          actor_id: r.actor_id,
          acquired_at: iso(r.acquired_ms),
          expires_at: iso(r.expires_ms),
        }));
        return { items, total };
      })
      .deferred();
  }

  async listStaleAssetLocks(acquiredBeforeMs: number, nowMs: number): Promise<StaleAssetLock[]> {
    return this.db
      .prepare(
        `SELECT asset_uuid, kind, owner, ${LOCK_ACQUIRED_MS} AS acquired_at_ms FROM asset_locks
         WHERE ${LOCK_ACQUIRED_MS} <= ? AND expires_at_ms <= ?
         ORDER BY acquired_at_ms, asset_uuid, kind`,
      )
      .all(acquiredBeforeMs, nowMs) as StaleAssetLock[];
  }

  async dropStaleAssetLock(lock: StaleAssetLock, nowMs: number): Promise<boolean> {
    return (
      this.db
        .prepare(
          `DELETE FROM asset_locks WHERE asset_uuid = ? AND kind = ? AND owner = ?
             AND ${LOCK_ACQUIRED_MS} = ? AND expires_at_ms <= ?`,
        )
        .run(lock.asset_uuid, lock.kind as AssetLockKind, lock.owner, lock.acquired_at_ms, nowMs)
        .changes > 0
    );
  }

  async recordIngestScan(s: IngestScanSnapshot): Promise<void> {
    const at = iso(s.finishedAtMs);
    this.db
      .transaction(() => {
        const before = new Map(
          (
            this.db.prepare('SELECT path, reason FROM ingest_unmatched').all() as {
              path: string;
              reason: string;
            }[]
          ).map((r) => [r.path, r.reason]),
        );
        const now = new Map(s.unmatched.map((u) => [u.path, u.reason]));
        const drop = this.db.prepare('DELETE FROM ingest_unmatched WHERE path = ?');
        for (const p of before.keys()) if (!now.has(p)) drop.run(p);
        const upsert = this.db.prepare(
          `INSERT INTO ingest_unmatched (path, reason, detected_at) VALUES (?, ?, ?)
           ON CONFLICT(path) DO UPDATE SET reason = excluded.reason, detected_at = excluded.detected_at`,
        );
        for (const [p, reason] of now) if (before.get(p) !== reason) upsert.run(p, reason, at);
        this.db
          .prepare(
            `INSERT INTO ingest_scan_status (id, finished_at, missing) VALUES (1, ?, ?)
             ON CONFLICT(id) DO UPDATE SET finished_at = excluded.finished_at, missing = excluded.missing`,
          )
          .run(at, s.missing);
      })
      .immediate();
  }

  async ingestCounters(): Promise<IngestCounters> {
    return this.db
      .prepare(
        `SELECT
           (SELECT COUNT(*) FROM assets WHERE state IN ('DISCOVERED', 'READY')) AS queued,
           COALESCE((SELECT missing FROM ingest_scan_status WHERE id = 1), 0) AS missing,
           (SELECT COUNT(*) FROM ingest_unmatched) AS unmatched_sidecars,
           (SELECT finished_at FROM ingest_scan_status WHERE id = 1) AS last_scan_at`,
      )
      .get() as IngestCounters;
  }

  async lastIngestScanAt(): Promise<string | null> {
    const row = this.db.prepare('SELECT finished_at FROM ingest_scan_status WHERE id = 1').get() as
      { finished_at: string } | undefined;
    return row?.finished_at ?? null;
  }

  async listUnmatchedSidecars(f: {
    reason?: UnmatchedSidecarReason;
    since?: string;
    limit: number;
  }): Promise<{ items: UnmatchedSidecarRow[]; total: number }> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.reason !== undefined) {
      where.push('reason = ?');
      args.push(f.reason);
    }
    if (f.since !== undefined) {
      where.push('detected_at >= ?');
      args.push(f.since);
    }
    const from = `FROM ingest_unmatched ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    return this.db
      .transaction(() => {
        const { total } = this.db.prepare(`SELECT COUNT(*) AS total ${from}`).get(...args) as {
          total: number;
        };
        const items = this.db
          .prepare(
            `SELECT path, reason, detected_at ${from} ORDER BY detected_at DESC, path LIMIT ?`,
          )
          .all(...args, f.limit) as UnmatchedSidecarRow[];
        return { items, total };
      })
      .deferred();
  }

  async assetUuidsAtPath(relativePath: string, includeSidecars: boolean): Promise<string[]> {
    const sidecarMatch = includeSidecars
      ? 'OR EXISTS (SELECT 1 FROM json_each(assets.sidecars) WHERE value = ?)'
      : '';
    return (
      this.db
        .prepare(`SELECT uuid FROM assets WHERE relative_path = ? ${sidecarMatch} ORDER BY uuid`)
        .all(...(includeSidecars ? [relativePath, relativePath] : [relativePath])) as {
        uuid: string;
      }[]
    ).map((r) => r.uuid);
  }
}
