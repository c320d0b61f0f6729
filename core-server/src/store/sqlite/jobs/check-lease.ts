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
  const row = db.prepare('SELECT * FROM jobs WHERE job_id = ?').get(proof.jobId) as
    Record<string, unknown> | undefined;
  if (!row) throw notFound('job', proof.jobId);
  const job = mapJob(row);
  const claim = db
    .prepare('SELECT agent_id, fencing_token FROM job_claims WHERE job_id = ? AND lock_token = ?')
    .get(proof.jobId, proof.lockToken) as { agent_id: string; fencing_token: number } | undefined;
  assertCurrentLease(job, claim, proof);
  return job;
}
