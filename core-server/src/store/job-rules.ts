// The job queue's rules that do not depend on the database: who may claim a job, whether a
// lease proof is still the job's current lease, and what a completion may merge into its asset.
// Both store backends read the rows their own way and ask these, so an answer (and its error) is
// the same on SQLite and PostgreSQL.
import { hasAllCapabilities, type DerivedKind, type FactsPatch } from '@retaia/protocol';
import { missingMinimalFacts } from '../domain/minimal-facts.js';
import { CoreError, validationFailed } from '../errors/core-error.js';
import type { AssetRecord, JobRecord } from './records.js';
import type { ClaimJobInput, LeaseProof, PublishedDerived } from './store-types.js';

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

/** Refuses a submit whose job type is not the job's. */
export function assertSubmittedType(job: JobRecord, jobType: string): void {
  if (job.job_type !== jobType) {
    throw validationFailed(`job ${job.job_id} is ${job.job_type}, the submit says ${jobType}`);
  }
}

/** The asset's facts with the patch merged in; refused when the minimal facts would be missing. */
export function mergedFacts(asset: AssetRecord, patch: FactsPatch): AssetRecord['facts'] {
  const merged = { ...asset.facts, ...patch };
  const missing = missingMinimalFacts(asset.media_type, merged);
  if (missing.length > 0) {
    throw validationFailed(
      `facts_patch lacks the minimal ${asset.media_type} facts: ${missing.join(', ')}`,
      { missing },
    );
  }
  return merged;
}

/** The submitted derived files, each with its index among those of its kind (0, 1, … in order). */
export function numberedDerived(
  derived: PublishedDerived[],
): (PublishedDerived & { idx: number })[] {
  const nextIndex = new Map<DerivedKind, number>();
  return derived.map((d) => {
    const idx = nextIndex.get(d.kind) ?? 0;
    nextIndex.set(d.kind, idx + 1);
    return { ...d, idx };
  });
}

/** A derived file's upload must be completed and not yet published by another submit. */
export function unpublishableUpload(uploadId: string): CoreError {
  return validationFailed(`upload ${uploadId} is not a completed, unpublished upload`);
}
