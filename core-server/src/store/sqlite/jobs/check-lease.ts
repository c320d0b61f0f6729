// The lease check shared by heartbeat, submit and fail. A token that never belonged to this job
// (or not to this agent, or with another fencing token) is LOCK_INVALID; a token that was valid
// once but has been superseded, has expired or whose job has finished is STALE_LOCK_TOKEN.
import type { Database } from 'better-sqlite3';
import { notFound } from '../../../errors/core-error.js';
import { assertCurrentLease } from '../../job-rules.js';
import type { JobRecord } from '../../records.js';
import { mapJob } from '../row-mappers.js';
import type { LeaseProof } from '../../store-types.js';

export function checkLease(db: Database, proof: LeaseProof): JobRecord {
  // The job and the claim of the proof's lock token, in one statement.
  const found = db
    .prepare(
      `SELECT j.*, c.agent_id AS lease_agent_id, c.fencing_token AS lease_fencing_token
         FROM jobs j LEFT JOIN job_claims c ON c.job_id = j.job_id AND c.lock_token = ?
        WHERE j.job_id = ?`,
    )
    .get(proof.lockToken, proof.jobId) as Record<string, unknown> | undefined;
  if (!found) throw notFound('job', proof.jobId);
  const { lease_agent_id: agentId, lease_fencing_token: fencingToken, ...row } = found;
  const claim =
    agentId === null
      ? undefined
      : { agent_id: agentId as string, fencing_token: fencingToken as number };
  const job = mapJob(row);
  assertCurrentLease(job, claim, proof);
  return job;
}
