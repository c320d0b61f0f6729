// Agent-reported failure. Retryable failures go back to pending until the attempt budget is
// spent; non-retryable ones (or an exhausted budget) end in `failed`. The claim keeps the reason.
import type { Database } from 'better-sqlite3';
import type { JobRecord } from '../../records.js';
import { returnToReadyIfIdle, settleAfterPermanentFailure } from '../asset-lifecycle.js';
import { mapJob } from '../row-mappers.js';
import { checkLease } from './check-lease.js';
import type { FailJobInput } from '../../store-types.js';

export function failJob(db: Database, input: FailJobInput): JobRecord {
  return db
    .transaction(() => {
      const job = checkLease(db, input);
      const now = new Date(input.nowMs).toISOString();
      const retry = input.retryable && job.attempts < input.maxAttempts;
      const updated = retry
        ? db
            .prepare(
              `UPDATE jobs SET status = 'pending', claimed_by = NULL, lock_token = NULL,
                 locked_until_ms = NULL, last_error_code = ? WHERE job_id = ? RETURNING *`,
            )
            .get(input.errorCode, job.job_id)
        : db
            .prepare(
              `UPDATE jobs SET status = 'failed', locked_until_ms = NULL, failed_at = ?,
                 last_error_code = ? WHERE job_id = ? RETURNING *`,
            )
            .get(now, input.errorCode, job.job_id);
      db.prepare(
        `UPDATE job_claims SET ended_at = ?, outcome = ?, error_code = ?, message = ?, retryable = ?
         WHERE job_id = ? AND fencing_token = ?`,
      ).run(
        now,
        retry ? 'retry' : 'failed',
        input.errorCode,
        input.message,
        input.retryable ? 1 : 0,
        job.job_id,
        job.fencing_token,
      );
      if (retry) returnToReadyIfIdle(db, job.asset_uuid, now);
      // A job failed for good: the asset must not wait for it forever (see asset-lifecycle).
      else settleAfterPermanentFailure(db, job.asset_uuid, now);
      return mapJob(updated as Record<string, unknown>);
    })
    .immediate();
}
