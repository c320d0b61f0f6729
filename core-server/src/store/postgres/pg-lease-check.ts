// The lease check on PostgreSQL (errors as ../sqlite/jobs/check-lease.ts): heartbeat, submit
// and fail lock the job row (FOR UPDATE) before checking the lease, so a lease cannot be extended
// or completed while another replica re-claims it.
import { notFound } from '../../errors/core-error.js';
import type { AssetRecord, JobRecord } from '../records.js';
import { mapAsset, mapJob } from '../sqlite/row-mappers.js';
import type { LeaseProof } from '../store-types.js';
import { assertCurrentLease } from '../job-rules.js';
import { one, type Queryable, type Row } from './pg-db.js';

/** The lease check of heartbeat, submit and fail (errors as ../sqlite/jobs/check-lease.ts). */
export async function checkLease(c: Queryable, proof: LeaseProof): Promise<JobRecord> {
  return (await checkLeaseReading(c, proof, false)).job;
}

/**
 * The lease check of a completion, with the job's asset locked and read in the same round trip
 * (a second one before): the completion merges into the asset, so it needs the row locked anyway.
 */
export async function checkLeaseLockingAsset(
  c: Queryable,
  proof: LeaseProof,
): Promise<{ job: JobRecord; asset: AssetRecord }> {
  const { job, assetRow } = await checkLeaseReading(c, proof, true);
  return { job, asset: mapAsset(assetRow!) };
}

async function checkLeaseReading(
  c: Queryable,
  proof: LeaseProof,
  withAsset: boolean,
): Promise<{ job: JobRecord; assetRow?: Row }> {
  // The job row locked and the claim of the proof's lock token, in one round trip. The asset
  // comes as one JSON value (its columns would clash with the job's); every column is text or a
  // number, which JSON carries as they are.
  const found = await one(
    c,
    withAsset
      ? `SELECT j.*, c.agent_id AS lease_agent_id, c.fencing_token AS lease_fencing_token,
                to_jsonb(a) AS lease_asset
           FROM jobs j JOIN assets a ON a.uuid = j.asset_uuid
           LEFT JOIN job_claims c ON c.job_id = j.job_id AND c.lock_token = $2
          WHERE j.job_id = $1 FOR UPDATE OF j, a`
      : `SELECT j.*, c.agent_id AS lease_agent_id, c.fencing_token AS lease_fencing_token
           FROM jobs j LEFT JOIN job_claims c ON c.job_id = j.job_id AND c.lock_token = $2
          WHERE j.job_id = $1 FOR UPDATE OF j`,
    [proof.jobId, proof.lockToken],
  );
  if (!found) throw notFound('job', proof.jobId);
  const {
    lease_agent_id: agentId,
    lease_fencing_token: fencingToken,
    lease_asset: assetRow,
    ...row
  } = found;
  const job = mapJob(row);
  const claim =
    agentId === null || agentId === undefined
      ? undefined
      : { agent_id: agentId as string, fencing_token: fencingToken as number };
  assertCurrentLease(job, claim, proof);
  return { job, ...(assetRow ? { assetRow: assetRow as Row } : {}) };
}
