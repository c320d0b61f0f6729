// The operations port (../ops-store.ts) on PostgreSQL: the same questions as
// ../sqlite/ops-store.ts, answered from the shared database, so every replica reports the same
// queue, locks and ingest state whichever one the load balancer asks.
import type pg from 'pg';
import { ASSET_LOCK_TTL_MS, type AssetLockKind } from '../../moves/index.js';
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
import { all, inTransaction, one, run } from './pg-db.js';

const iso = (ms: number) => new Date(ms).toISOString();

// Locks copied from a database written before acquisition times existed: their TTL start.
const LOCK_ACQUIRED_MS = `COALESCE(acquired_at_ms, expires_at_ms - ${ASSET_LOCK_TTL_MS})`;

const OPERATION_LOCKS = `
  SELECT asset_uuid || ':' || kind AS id, asset_uuid, kind AS lock_type, owner AS actor_id,
         ${LOCK_ACQUIRED_MS} AS acquired_ms, expires_at_ms AS expires_ms
  FROM asset_locks
  UNION ALL
  SELECT job_id, asset_uuid, 'job_lease', claimed_by,
         round(extract(epoch FROM claimed_at::timestamptz) * 1000)::bigint, locked_until_ms
  FROM jobs WHERE status = 'claimed'`;

interface LockRow {
  id: string;
  asset_uuid: string;
  lock_type: OperationLock['lock_type'];
  actor_id: string;
  acquired_ms: number;
  expires_ms: number;
}

function filterOf(conditions: [string, unknown][]) {
  const parts = conditions.filter(([, v]) => v !== undefined);
  return {
    where: parts.length ? `WHERE ${parts.map(([c], i) => `${c} $${i + 1}`).join(' AND ')}` : '',
    args: parts.map(([, v]) => v),
  };
}

export class PgOpsStore implements OpsStore {
  constructor(private readonly pool: pg.Pool) {}

  async ping(): Promise<void> {
    await run(this.pool, 'SELECT 1');
  }

  jobQueueByType(): Promise<JobQueueTypeCounts[]> {
    return all<JobQueueTypeCounts>(
      this.pool,
      `SELECT job_type,
         COUNT(*) FILTER (WHERE status = 'pending') AS pending,
         COUNT(*) FILTER (WHERE status = 'claimed') AS claimed,
         COUNT(*) FILTER (WHERE status = 'failed') AS failed,
         MIN(created_at) FILTER (WHERE status = 'pending') AS oldest_pending_created_at
       FROM jobs WHERE status IN ('pending', 'claimed', 'failed')
       GROUP BY job_type ORDER BY job_type`,
    );
  }

  listOperationLocks(f: OperationLockFilter) {
    const { where, args } = filterOf([
      ['asset_uuid =', f.assetUuid],
      ['lock_type =', f.lockType],
    ]);
    const from = `FROM (${OPERATION_LOCKS}) locks ${where}`;
    // One snapshot for the count and the page.
    return inTransaction(this.pool, async (c) => {
      await run(c, 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const { total } = (await one<{ total: number }>(
        c,
        `SELECT COUNT(*) AS total ${from}`,
        args,
      ))!;
      const rows = await all<LockRow>(
        c,
        `SELECT * ${from} ORDER BY acquired_ms DESC, id LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
        [...args, f.limit, f.offset],
      );
      const items = rows.map((r): OperationLock => ({
        id: r.id,
        asset_uuid: r.asset_uuid,
        lock_type: r.lock_type,
        actor_id: r.actor_id,
        acquired_at: iso(r.acquired_ms),
        expires_at: iso(r.expires_ms),
      }));
      return { items, total };
    });
  }

  listStaleAssetLocks(acquiredBeforeMs: number, nowMs: number): Promise<StaleAssetLock[]> {
    return all<StaleAssetLock>(
      this.pool,
      `SELECT asset_uuid, kind, owner, ${LOCK_ACQUIRED_MS} AS acquired_at_ms FROM asset_locks
       WHERE ${LOCK_ACQUIRED_MS} <= $1 AND expires_at_ms <= $2
       ORDER BY acquired_at_ms, asset_uuid, kind`,
      [acquiredBeforeMs, nowMs],
    );
  }

  async dropStaleAssetLock(lock: StaleAssetLock, nowMs: number): Promise<boolean> {
    const dropped = await run(
      this.pool,
      `DELETE FROM asset_locks WHERE asset_uuid = $1 AND kind = $2 AND owner = $3
         AND ${LOCK_ACQUIRED_MS} = $4 AND expires_at_ms <= $5`,
      [lock.asset_uuid, lock.kind as AssetLockKind, lock.owner, lock.acquired_at_ms, nowMs],
    );
    return dropped > 0;
  }

  async recordIngestScan(s: IngestScanSnapshot): Promise<void> {
    const at = iso(s.finishedAtMs);
    await inTransaction(this.pool, async (c) => {
      // Serialises two replicas recording scans at once (the singleton status row).
      await run(
        c,
        `INSERT INTO ingest_scan_status (id, finished_at, missing) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET finished_at = excluded.finished_at, missing = excluded.missing`,
        [at, s.missing],
      );
      const before = new Map(
        (
          await all<{ path: string; reason: string }>(
            c,
            'SELECT path, reason FROM ingest_unmatched',
          )
        ).map((r) => [r.path, r.reason]),
      );
      const now = new Map(s.unmatched.map((u) => [u.path, u.reason]));
      const gone = [...before.keys()].filter((p) => !now.has(p));
      if (gone.length)
        await run(c, 'DELETE FROM ingest_unmatched WHERE path = ANY($1::text[])', [gone]);
      for (const [p, reason] of now) {
        if (before.get(p) === reason) continue;
        await run(
          c,
          `INSERT INTO ingest_unmatched (path, reason, detected_at) VALUES ($1, $2, $3)
           ON CONFLICT (path) DO UPDATE SET reason = excluded.reason, detected_at = excluded.detected_at`,
          [p, reason, at],
        );
      }
    });
  }

  async ingestCounters(): Promise<IngestCounters> {
    return (await one<IngestCounters>(
      this.pool,
      `SELECT
         (SELECT COUNT(*) FROM assets WHERE state IN ('DISCOVERED', 'READY')) AS queued,
         COALESCE((SELECT missing FROM ingest_scan_status WHERE id = 1), 0) AS missing,
         (SELECT COUNT(*) FROM ingest_unmatched) AS unmatched_sidecars,
         (SELECT finished_at FROM ingest_scan_status WHERE id = 1) AS last_scan_at`,
    ))!;
  }

  async lastIngestScanAt(): Promise<string | null> {
    const row = await one<{ finished_at: string }>(
      this.pool,
      'SELECT finished_at FROM ingest_scan_status WHERE id = 1',
    );
    return row?.finished_at ?? null;
  }

  listUnmatchedSidecars(f: {
    reason?: UnmatchedSidecarReason;
    since?: string;
    limit: number;
  }): Promise<{ items: UnmatchedSidecarRow[]; total: number }> {
    const { where, args } = filterOf([
      ['reason =', f.reason],
      ['detected_at >=', f.since],
    ]);
    const from = `FROM ingest_unmatched ${where}`;
    return inTransaction(this.pool, async (c) => {
      await run(c, 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const { total } = (await one<{ total: number }>(
        c,
        `SELECT COUNT(*) AS total ${from}`,
        args,
      ))!;
      const items = await all<UnmatchedSidecarRow>(
        c,
        `SELECT path, reason, detected_at ${from} ORDER BY detected_at DESC, path LIMIT $${args.length + 1}`,
        [...args, f.limit],
      );
      return { items, total };
    });
  }

  async assetUuidsAtPath(relativePath: string, includeSidecars: boolean): Promise<string[]> {
    const sidecarMatch = includeSidecars ? `OR sidecars::jsonb ? $1` : '';
    const rows = await all<{ uuid: string }>(
      this.pool,
      `SELECT uuid FROM assets WHERE relative_path = $1 ${sidecarMatch} ORDER BY uuid`,
      [relativePath],
    );
    return rows.map((r) => r.uuid);
  }
}
