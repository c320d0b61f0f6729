// The job queue's rules that do not depend on the database: who may claim a job, and whether a
// lease proof is still the job's current lease. Both store backends read the rows their own way
// and ask these, so an answer (and its error) is the same on SQLite and PostgreSQL.
import { hasAllCapabilities } from '@retaia/protocol';
import { CoreError } from '../errors/core-error.js';
import type { JobRecord } from './records.js';
import type { ClaimJobInput, LeaseProof } from './store-types.js';

/** Refuses a claim by an agent without the job's capabilities, or while its feature flag is off. */
export function assertClaimAllowed(job: JobRecord, input: ClaimJobInput): void {
  if (!hasAllCapabilities(input.effectiveCapabilities, job.required_capabilities)) {
    throw new CoreError(
      'STATE_CONFLICT',
      409,
      `agent lacks capabilities ${job.required_capabilities.join(', ')} for job ${input.jobId}`,
    );
  }
  if (job.feature_flag && input.flags[job.feature_flag] !== true) {
    throw new CoreError('STATE_CONFLICT', 409, `feature flag ${job.feature_flag} is off`);
  }
}

/**
 * `claim` is the job_claims row of the proof's lock token (undefined when there is none).
 * LOCK_INVALID: the proof names no lease of this agent; STALE_LOCK_TOKEN: it did, but the job
 * has moved on (expired, reclaimed, finished).
 */
export function assertCurrentLease(
  job: JobRecord,
  claim: { agent_id: string; fencing_token: number } | undefined,
  proof: LeaseProof,
): void {
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
}
