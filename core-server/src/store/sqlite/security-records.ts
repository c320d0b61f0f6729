// SQL of the records strangers can make Core write (security events, device flows) and of the
// per-agent upload quota. Kept apart from the store class so the bounds live in one place.
import type { Database } from 'better-sqlite3';
import type { AgentUploadUsage, SecurityPruneInput, SecurityRowCounts } from '../store-types.js';

/** Deletes by age, then keeps only the newest `max*` rows. Returns how many rows went. */
export function pruneSecurityRows(db: Database, p: SecurityPruneInput): SecurityRowCounts {
  return db
    .transaction(() => {
      let events = db
        .prepare('DELETE FROM security_events WHERE at < ?')
        .run(p.eventsBefore).changes;
      events += db
        .prepare(
          `DELETE FROM security_events WHERE id <= (
             SELECT id FROM security_events ORDER BY id DESC LIMIT 1 OFFSET ?)`,
        )
        .run(p.maxEvents).changes;
      let flows = db
        .prepare('DELETE FROM device_flows WHERE expires_at_ms < ?')
        .run(p.flowsExpiredBeforeMs).changes;
      flows += db
        .prepare(
          `DELETE FROM device_flows WHERE device_code_hash IN (
             SELECT device_code_hash FROM device_flows ORDER BY created_at_ms DESC LIMIT -1 OFFSET ?)`,
        )
        .run(p.maxFlows).changes;
      return { security_events: events, device_flows: flows };
    })
    .immediate();
}

export function countSecurityRows(db: Database): SecurityRowCounts {
  const count = (table: string) =>
    (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  return { security_events: count('security_events'), device_flows: count('device_flows') };
}

/**
 * What one agent holds in staging: its unexpired uploads that are not published yet (OPEN, or
 * COMPLETED and waiting for a submit) and the sum of their declared sizes.
 */
export function agentUploadUsage(db: Database, agentId: string, nowMs: number): AgentUploadUsage {
  const row = db
    .prepare(
      `SELECT COUNT(*) AS n, COALESCE(SUM(size_bytes), 0) AS bytes FROM uploads
       WHERE agent_id = ? AND status IN ('OPEN', 'COMPLETED') AND expires_at_ms >= ?`,
    )
    .get(agentId, nowMs) as { n: number; bytes: number };
  return { open_uploads: row.n, declared_bytes: row.bytes };
}
