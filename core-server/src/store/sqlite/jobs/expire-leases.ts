// Sweeper: claimed jobs whose lease ran out go back to pending; the claim is closed as expired.
import type { Database } from 'better-sqlite3';
import { returnToReadyIfIdle } from '../asset-lifecycle.js';

export function expireLeases(db: Database, nowMs: number): string[] {
  return db
    .transaction(() => {
      const now = new Date(nowMs).toISOString();
      const expired = db
        .prepare(
          `UPDATE jobs SET status = 'pending', claimed_by = NULL, lock_token = NULL, locked_until_ms = NULL
           WHERE status = 'claimed' AND locked_until_ms < ? RETURNING job_id, asset_uuid`,
        )
        .all(nowMs) as { job_id: string; asset_uuid: string }[];
      const closeClaim = db.prepare(
        `UPDATE job_claims SET ended_at = ?, outcome = 'expired' WHERE job_id = ? AND ended_at IS NULL`,
      );
      for (const e of expired) closeClaim.run(now, e.job_id);
      for (const uuid of new Set(expired.map((e) => e.asset_uuid)))
        returnToReadyIfIdle(db, uuid, now);
      return expired.map((e) => e.job_id);
    })
    .immediate();
}
