// Heartbeat: pushes locked_until forward for the current lease holder only.
import type { Database } from 'better-sqlite3';
import type { JobRecord } from '../../records.js';
import { checkLease } from './check-lease.js';
import type { LeaseProof } from '../../store-types.js';

export function extendLease(db: Database, proof: LeaseProof, leaseTtlMs: number): JobRecord {
  return db
    .transaction(() => {
      const job = checkLease(db, proof);
      const lockedUntil = proof.nowMs + leaseTtlMs;
      db.prepare('UPDATE jobs SET locked_until_ms = ? WHERE job_id = ?').run(
        lockedUntil,
        job.job_id,
      );
      db.prepare(
        'UPDATE agents SET last_heartbeat_at = ?, last_seen_at = ? WHERE agent_id = ?',
      ).run(
        new Date(proof.nowMs).toISOString(),
        new Date(proof.nowMs).toISOString(),
        proof.agentId,
      );
      return { ...job, locked_until_ms: lockedUntil };
    })
    .immediate();
}
