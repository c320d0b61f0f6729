// Atomic claim: one UPDATE ... WHERE status='pending' RETURNING inside an IMMEDIATE transaction,
// so exactly one of N concurrent claimers wins. A claimed job whose lease has expired is
// claimable too (the sweeper may not have run yet). The fencing token grows by one per claim.
import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { CoreError, notFound } from '../../../errors/core-error.js';
import type { AssetRecord, JobRecord } from '../../records.js';
import { loadAsset, logTransition } from '../asset-lifecycle.js';
import { mapAsset, mapJob } from '../row-mappers.js';
import { assertClaimAllowed } from '../../job-rules.js';
import type { ClaimJobInput } from '../../store-types.js';
import { transactionPerConnection } from './transaction-per-connection.js';

type Claimed = { job: JobRecord; asset: AssetRecord };

/** Claims in a transaction of its own. */
export function claimJob(db: Database, input: ClaimJobInput): Claimed {
  return claimTransaction(db).immediate(input);
}

const claimTransaction = transactionPerConnection(claimInTransaction);

/**
 * The claim's statements, for a caller that already holds a transaction and rolls it (or its
 * savepoint) back when this throws.
 */
export function claimInTransaction(db: Database, input: ClaimJobInput): Claimed {
  // The job, and whether its asset is being moved or purged, in one statement.
  const found = db
    .prepare(
      `SELECT j.*, EXISTS (SELECT 1 FROM asset_locks l
                            WHERE l.asset_uuid = j.asset_uuid AND l.expires_at_ms > ?) AS asset_locked
         FROM jobs j WHERE j.job_id = ?`,
    )
    .get(input.nowMs, input.jobId) as Record<string, unknown> | undefined;
  if (!found) throw notFound('job', input.jobId);
  const { asset_locked: assetLocked, ...row } = found;
  const before = mapJob(row);
  assertClaimAllowed(before, input);
  if (assetLocked) {
    throw new CoreError(
      'STATE_CONFLICT',
      409,
      `asset ${before.asset_uuid} is being moved or purged; job ${input.jobId} is not claimable now`,
      true,
    );
  }
  const now = new Date(input.nowMs).toISOString();
  const lockToken = randomBytes(24).toString('base64url');
  const updated = db
    .prepare(
      `UPDATE jobs SET status = 'claimed', claimed_by = ?, lock_token = ?,
             fencing_token = fencing_token + 1, locked_until_ms = ?, claimed_at = ?,
             attempts = attempts + 1
           WHERE job_id = ? AND (status = 'pending' OR (status = 'claimed' AND locked_until_ms < ?))
           RETURNING *`,
    )
    .get(
      input.agentId,
      lockToken,
      input.nowMs + input.leaseTtlMs,
      now,
      input.jobId,
      input.nowMs,
    ) as Record<string, unknown> | undefined;
  if (!updated) {
    throw new CoreError(
      'STATE_CONFLICT',
      409,
      `job ${input.jobId} is not claimable (status ${before.status})`,
    );
  }
  const job = mapJob(updated);
  // Taken over from a lease that ran out: its claim ends here (a pending job has no open
  // claim: the sweeper, a failure and reprocess all close or drop it).
  if (before.status === 'claimed') {
    db.prepare(
      `UPDATE job_claims SET ended_at = ?, outcome = 'expired' WHERE job_id = ? AND ended_at IS NULL`,
    ).run(now, job.job_id);
  }
  db.prepare(
    'INSERT INTO job_claims (job_id, fencing_token, lock_token, agent_id, claimed_at) VALUES (?, ?, ?, ?, ?)',
  ).run(job.job_id, job.fencing_token, lockToken, input.agentId, now);
  return { job, asset: moveAssetForClaim(db, job.asset_uuid, now) };
}

/**
 * The claimed job's asset, moved from READY to PROCESSING_REVIEW (cause `job_claimed`, logged)
 * when it is READY. The move returns the row it wrote, so the usual claim (an asset's first job)
 * reads nothing more; an asset already in review processing is read as it is. The same rule
 * as PostgreSQL's one-statement claim (postgres/pg-jobs.ts).
 */
function moveAssetForClaim(db: Database, uuid: string, now: string): AssetRecord {
  const moved = db
    .prepare(
      `UPDATE assets SET state = 'PROCESSING_REVIEW', revision = revision + 1, updated_at = ?
         WHERE uuid = ? AND state = 'READY' RETURNING *`,
    )
    .get(now, uuid) as Record<string, unknown> | undefined;
  if (!moved) return loadAsset(db, uuid)!;
  logTransition(db, uuid, 'READY', 'PROCESSING_REVIEW', 'job_claimed', now);
  return mapAsset(moved);
}
