// The lease check shared by heartbeat, submit and fail. A token that never belonged to this job
// (or not to this agent, or with another fencing token) is LOCK_INVALID; a token that was valid
// once but has been superseded, has expired or whose job has finished is STALE_LOCK_TOKEN.
import type { Database } from 'better-sqlite3';
import { CoreError, notFound } from '../../../errors/core-error.js';
import type { JobRecord } from '../../records.js';
import { mapJob } from '../row-mappers.js';
import type { LeaseProof } from '../../store-types.js';

export function checkLease(db: Database, proof: LeaseProof): JobRecord {
  const row = db.prepare('SELECT * FROM jobs WHERE job_id = ?').get(proof.jobId) as
    Record<string, unknown> | undefined;
  if (!row) throw notFound('job', proof.jobId);
  const job = mapJob(row);
  const claim = db
    .prepare('SELECT agent_id, fencing_token FROM job_claims WHERE job_id = ? AND lock_token = ?')
    .get(proof.jobId, proof.lockToken) as { agent_id: string; fencing_token: number } | undefined;
  if (!claim || claim.agent_id !== proof.agentId || claim.fencing_token !== proof.fencingToken) {
    throw new CoreError(
      'LOCK_INVALID',
      423,
      'lock_token/fencing_token do not match any lease of this agent on this job',
    );
  }
  const current =
    job.status === 'claimed' &&
    job.fencing_token === proof.fencingToken &&
    (job.locked_until_ms ?? 0) >= proof.nowMs;
  if (!current) {
    throw new CoreError(
      'STALE_LOCK_TOKEN',
      409,
      `the lease (fencing_token ${proof.fencingToken}) is no longer current: job is ${job.status}, current fencing_token ${job.fencing_token}`,
      false,
      { job_status: job.status, current_fencing_token: job.fencing_token },
    );
  }
  return job;
}
