// Human decision history (contract `AssetDecisions.history`). Rows live in `asset_audit` next to
// the move/purge events (one audit trail per asset, no extra migration): action `DECISION_KEEP`,
// `DECISION_REJECT` or `DECISION_CLEAR`, details `{by, from, to}`. Written inside the human
// mutation's transaction, so a refused or rolled-back change leaves no history behind.
import { randomUUID } from 'node:crypto';
import type { AssetState } from '@retaia/protocol';
import type { Database } from 'better-sqlite3';
import type { DecisionAction, DecisionHistoryEntry } from '../store-types.js';

/** The decision a human state change stands for; undefined when it is not a decision change. */
export function decisionActionFor(to: AssetState): DecisionAction | undefined {
  if (to === 'DECIDED_KEEP') return 'KEEP';
  if (to === 'DECIDED_REJECT') return 'REJECT';
  // Cancel (DECIDED_* → DECISION_PENDING) and reopen (ARCHIVED|REJECTED → DECISION_PENDING) both
  // leave the asset without a current decision.
  if (to === 'DECISION_PENDING') return 'CLEAR';
  return undefined;
}

export function recordDecision(
  db: Database,
  e: { asset_uuid: string; action: DecisionAction; at: string; by: string; from: AssetState },
): void {
  db.prepare(
    `INSERT INTO asset_audit (operation_id, action, asset_uuid, at, details) VALUES (?, ?, ?, ?, ?)`,
  ).run(
    randomUUID(),
    `DECISION_${e.action}`,
    e.asset_uuid,
    e.at,
    JSON.stringify({ by: e.by, from: e.from }),
  );
}

/** Oldest first (insertion order: `at` may tie within one millisecond). */
export function listDecisionHistory(db: Database, assetUuid: string): DecisionHistoryEntry[] {
  const rows = db
    .prepare(
      `SELECT action, at, details FROM asset_audit
        WHERE asset_uuid = ? AND action IN ('DECISION_KEEP', 'DECISION_REJECT', 'DECISION_CLEAR')
        ORDER BY rowid`,
    )
    .all(assetUuid) as { action: string; at: string; details: string }[];
  return rows.map((r) => ({
    action: r.action.slice('DECISION_'.length) as DecisionAction,
    at: r.at,
    by: (JSON.parse(r.details) as { by: string }).by,
  }));
}
