// The job queue on PostgreSQL, shared by every replica: the same transitions and errors as
// ../sqlite/jobs/ (see there for the lease rules), made safe for several writers.
// - Claim: the job row is taken with SELECT … FOR UPDATE SKIP LOCKED. Of two replicas claiming
//   one job at once, one gets the row; the other sees it locked and answers 409 at once
//   (retryable) instead of queueing behind it. The fencing token is incremented in the same
//   UPDATE under that lock, so it grows by one per claim whichever replica served it.
// - Poll: one query per GET /jobs against the committed table (no per-process index: another
//   replica's claims and inserts must be seen at once).
// - Heartbeat/submit/fail lock the job row (FOR UPDATE) before checking the lease, so a lease
//   cannot be extended or completed while another replica re-claims it (pg-lease-check.ts; the
//   completion itself is pg-complete-job.ts).
// - The sweeper's UPDATE … WHERE status = 'claimed' AND locked_until_ms < now can run on every
//   replica: row locks make each expired lease go back to pending exactly once.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { CoreError, notFound } from '../../errors/core-error.js';
import type { AssetRecord, JobRecord } from '../records.js';
import { mapAsset, mapJob } from '../sqlite/row-mappers.js';
import type {
  ClaimableJob,
  ClaimJobInput,
  FailJobInput,
  LeaseProof,
  ListClaimableJobsInput,
} from '../store-types.js';
import { returnToReadyIfIdle, settleAfterPermanentFailure } from './pg-asset-lifecycle.js';
import { all, inTransaction, one, run, type Queryable, type Row } from './pg-db.js';
import { AuthChangedError } from '../store-types.js';
import { assertClaimAllowed } from '../job-rules.js';
import { checkLease } from './pg-lease-check.js';
import { pgAuthVersion } from './pg-auth-lookup-cache.js';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The poll, with the two asset columns its answer needs (one round trip, no asset rows to
 * decode): walks the queue index (status, created_at, job_id) in order and stops at the limit,
 * once the planner has statistics (see applyScan). $1 flags on, $2 capabilities, $3 now, $4 limit.
 */
export const PG_CLAIMABLE_JOBS_SQL = `SELECT j.*, a.relative_path AS asset_relative_path,
             a.sidecars AS asset_sidecars
        FROM jobs j JOIN assets a ON a.uuid = j.asset_uuid
       WHERE j.status = 'pending'
         AND (j.feature_flag IS NULL OR j.feature_flag = ANY($1::text[]))
         AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(j.required_capabilities::jsonb) AS c(cap)
                          WHERE NOT (c.cap = ANY($2::text[])))
         AND NOT EXISTS (SELECT 1 FROM asset_locks l
                          WHERE l.asset_uuid = j.asset_uuid AND l.expires_at_ms > $3)
       ORDER BY j.created_at, j.job_id
       LIMIT $4`;

export async function listClaimableJobs(
  q: Queryable,
  input: ListClaimableJobsInput,
): Promise<ClaimableJob[]> {
  // The poller's credentials as of now (when its lookups were deferred): the query that reads
  // the jobs cannot also say "no rows because nothing is claimable" apart from this.
  if (input.authVersion !== undefined) {
    if (Number(await pgAuthVersion(q)) !== input.authVersion) throw new AuthChangedError();
  }
  const flagsOn = Object.entries(input.flags)
    .filter(([, on]) => on === true)
    .map(([name]) => name);
  const rows = await all(q, PG_CLAIMABLE_JOBS_SQL, [
    flagsOn,
    input.effectiveCapabilities,
    input.nowMs,
    input.limit,
  ]);
  return rows.map(({ asset_relative_path, asset_sidecars, ...row }) => {
    const job = mapJob(row);
    const asset = {
      uuid: job.asset_uuid,
      relative_path: asset_relative_path as string,
      sidecars: JSON.parse(asset_sidecars as string) as string[],
    };
    return { job, asset };
  });
}

export function claimJob(
  pool: pg.Pool,
  input: ClaimJobInput,
): Promise<{ job: JobRecord; asset: AssetRecord }> {
  return inTransaction(pool, (c) => claimJobIn(c, input));
}

/** The claim inside the caller's transaction (also used with the request's nonce, pg-signed-once.ts). */
export async function claimJobIn(
  c: Queryable,
  input: ClaimJobInput,
): Promise<{ job: JobRecord; asset: AssetRecord }> {
  // The job row locked, and whether its asset is being moved or purged, in one round trip.
  const locked = await one(
    c,
    `SELECT j.*, EXISTS (SELECT 1 FROM asset_locks l
                          WHERE l.asset_uuid = j.asset_uuid AND l.expires_at_ms > $2) AS asset_locked
       FROM jobs j WHERE j.job_id = $1 FOR UPDATE OF j SKIP LOCKED`,
    [input.jobId, input.nowMs],
  );
  if (!locked) {
    if (!(await one(c, 'SELECT 1 FROM jobs WHERE job_id = $1', [input.jobId]))) {
      throw notFound('job', input.jobId);
    }
    throw new CoreError(
      'STATE_CONFLICT',
      409,
      `job ${input.jobId} is being claimed or updated by another request right now`,
      true,
    );
  }
  const { asset_locked: assetLocked, ...row } = locked;
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
  const now = iso(input.nowMs);
  const lockToken = randomBytes(24).toString('base64url');
  // Taken over from a lease that ran out: its claim ends here (a pending job has no open claim).
  // First, so that the new claim below is not among those it ends; the job row is locked.
  if (before.status === 'claimed') {
    await run(
      c,
      `UPDATE job_claims SET ended_at = $1, outcome = 'expired' WHERE job_id = $2 AND ended_at IS NULL`,
      [now, input.jobId],
    );
  }
  // The job taken, its claim recorded, and its asset locked, moved from READY to
  // PROCESSING_REVIEW and the move logged: one round trip (three before). The asset rule is the
  // one the SQLite claim applies in code: only a READY asset moves, for the cause `job_claimed`.
  // Each step reads the one before (taken → locked → moved), so they run in that order: the
  // queue pattern (lock, then update what was locked). Nothing taken: nothing else happens.
  const updated = await one(
    c,
    `WITH taken AS (
       UPDATE jobs SET status = 'claimed', claimed_by = $1, lock_token = $2,
           fencing_token = fencing_token + 1, locked_until_ms = $3, claimed_at = $4,
           attempts = attempts + 1
         WHERE job_id = $5 AND (status = 'pending' OR (status = 'claimed' AND locked_until_ms < $6))
         RETURNING *),
     recorded AS (
       INSERT INTO job_claims (job_id, fencing_token, lock_token, agent_id, claimed_at)
         SELECT job_id, fencing_token, $2, $1, $4 FROM taken),
     locked AS (
       SELECT a.* FROM assets a JOIN taken t ON a.uuid = t.asset_uuid FOR UPDATE OF a),
     moved AS (
       UPDATE assets a SET state = 'PROCESSING_REVIEW', revision = a.revision + 1, updated_at = $4
         FROM locked l WHERE a.uuid = l.uuid AND l.state = 'READY'
         RETURNING a.uuid),
     logged AS (
       INSERT INTO asset_transitions (asset_uuid, from_state, to_state, cause, at)
         SELECT uuid, 'READY', 'PROCESSING_REVIEW', 'job_claimed', $4 FROM moved)
     SELECT taken.*, to_jsonb(locked) AS claimed_asset,
            EXISTS (SELECT 1 FROM moved) AS claim_moved_it
       FROM taken JOIN locked ON locked.uuid = taken.asset_uuid`,
    [input.agentId, lockToken, input.nowMs + input.leaseTtlMs, now, input.jobId, input.nowMs],
  );
  if (!updated) {
    throw new CoreError(
      'STATE_CONFLICT',
      409,
      `job ${input.jobId} is not claimable (status ${before.status})`,
    );
  }
  const { claimed_asset: assetRow, claim_moved_it: moved, ...jobRow } = updated;
  const asset = mapAsset(assetRow as Row);
  if (moved) {
    // What setAssetState leaves in the record it is given.
    asset.state = 'PROCESSING_REVIEW';
    asset.revision += 1;
  }
  return { job: mapJob(jobRow), asset };
}

export function extendLease(pool: pg.Pool, proof: LeaseProof, leaseTtlMs: number) {
  return inTransaction(pool, async (c): Promise<JobRecord> => {
    const job = await checkLease(c, proof);
    const lockedUntil = proof.nowMs + leaseTtlMs;
    await run(c, 'UPDATE jobs SET locked_until_ms = $1 WHERE job_id = $2', [
      lockedUntil,
      job.job_id,
    ]);
    await run(
      c,
      'UPDATE agents SET last_heartbeat_at = $1, last_seen_at = $1 WHERE agent_id = $2',
      [iso(proof.nowMs), proof.agentId],
    );
    return { ...job, locked_until_ms: lockedUntil };
  });
}

export function failJob(pool: pg.Pool, input: FailJobInput) {
  return inTransaction(pool, async (c): Promise<JobRecord> => {
    const job = await checkLease(c, input);
    const now = iso(input.nowMs);
    const retry = input.retryable && job.attempts < input.maxAttempts;
    const updated = retry
      ? await one(
          c,
          `UPDATE jobs SET status = 'pending', claimed_by = NULL, lock_token = NULL,
             locked_until_ms = NULL, last_error_code = $1 WHERE job_id = $2 RETURNING *`,
          [input.errorCode, job.job_id],
        )
      : await one(
          c,
          `UPDATE jobs SET status = 'failed', locked_until_ms = NULL, failed_at = $1,
             last_error_code = $2 WHERE job_id = $3 RETURNING *`,
          [now, input.errorCode, job.job_id],
        );
    await run(
      c,
      `UPDATE job_claims SET ended_at = $1, outcome = $2, error_code = $3, message = $4, retryable = $5
       WHERE job_id = $6 AND fencing_token = $7`,
      [
        now,
        retry ? 'retry' : 'failed',
        input.errorCode,
        input.message,
        input.retryable ? 1 : 0,
        job.job_id,
        job.fencing_token,
      ],
    );
    if (retry) await returnToReadyIfIdle(c, job.asset_uuid, now);
    else await settleAfterPermanentFailure(c, job.asset_uuid, now);
    return mapJob(updated as Row);
  });
}

export function expireLeases(pool: pg.Pool, nowMs: number): Promise<string[]> {
  return inTransaction(pool, async (c) => {
    const now = iso(nowMs);
    const expired = await all<{ job_id: string; asset_uuid: string }>(
      c,
      `UPDATE jobs SET status = 'pending', claimed_by = NULL, lock_token = NULL, locked_until_ms = NULL
       WHERE status = 'claimed' AND locked_until_ms < $1 RETURNING job_id, asset_uuid`,
      [nowMs],
    );
    for (const e of expired) {
      await run(
        c,
        `UPDATE job_claims SET ended_at = $1, outcome = 'expired' WHERE job_id = $2 AND ended_at IS NULL`,
        [now, e.job_id],
      );
    }
    for (const uuid of new Set(expired.map((e) => e.asset_uuid)))
      await returnToReadyIfIdle(c, uuid, now);
    return expired.map((e) => e.job_id);
  });
}
