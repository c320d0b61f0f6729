// The poll behind GET /jobs: the oldest pending jobs this agent may claim, with their assets.
// Capability and feature-flag matching run inside SQLite and the query stops at `limit`, so a
// poll costs O(limit), not O(backlog): fifty agents polling a queue of thousands of pending
// jobs no longer rebuild and JSON-parse the whole backlog in JS on every request. Jobs of
// assets under a live move/purge lock are not offered (SPEC §6 locks).
import type { FeatureFlags } from '@retaia/protocol';
import type { Database } from 'better-sqlite3';
import type { AssetRecord, JobRecord } from '../../records.js';
import { mapAsset, mapJob } from '../row-mappers.js';

export interface ListClaimableJobsInput {
  effectiveCapabilities: string[];
  flags: FeatureFlags;
  limit: number;
  nowMs: number;
}

export function listClaimableJobs(
  db: Database,
  input: ListClaimableJobsInput,
): { job: JobRecord; asset: AssetRecord }[] {
  const enabledFlags = Object.keys(input.flags).filter((f) => input.flags[f] === true);
  // A job matches when none of its required capabilities is missing from the agent's set
  // (same rule as hasAllCapabilities) and its feature flag, if any, is on.
  const rows = db
    .prepare(
      `SELECT j.* FROM jobs j
       WHERE j.status = 'pending'
         AND (j.feature_flag IS NULL OR j.feature_flag IN (SELECT value FROM json_each(@flags)))
         AND NOT EXISTS (
           SELECT 1 FROM json_each(j.required_capabilities) r
           WHERE r.value NOT IN (SELECT value FROM json_each(@capabilities)))
         AND NOT EXISTS (
           SELECT 1 FROM asset_locks l WHERE l.asset_uuid = j.asset_uuid AND l.expires_at_ms > @now)
       ORDER BY j.created_at, j.job_id
       LIMIT @limit`,
    )
    .all({
      flags: JSON.stringify(enabledFlags),
      capabilities: JSON.stringify(input.effectiveCapabilities),
      limit: input.limit,
      now: input.nowMs,
    }) as Record<string, unknown>[];
  const assetById = db.prepare('SELECT * FROM assets WHERE uuid = ?');
  const out: { job: JobRecord; asset: AssetRecord }[] = [];
  for (const row of rows) {
    const asset = assetById.get(row.asset_uuid) as Record<string, unknown> | undefined;
    if (asset) out.push({ job: mapJob(row), asset: mapAsset(asset) });
  }
  return out;
}
