// A job's completion on PostgreSQL: the same merge into the asset's own domain (facts, derived
// files, transcript), follow-up planning and state advance as ../sqlite/jobs/complete-job.ts, in
// the caller's transaction, with the job row and the asset locked by the lease check.
import type pg from 'pg';
import type { DerivedKind } from '@retaia/protocol';
import type { AssetRecord, JobRecord } from '../records.js';
import { mapJob } from '../sqlite/row-mappers.js';
import type { CompleteJobInput, CompleteJobResult } from '../store-types.js';
import { advanceAfterCompletion, ensurePlannedJobs } from './pg-asset-lifecycle.js';
import { all, inTransaction, one, run, type Queryable } from './pg-db.js';
import { checkLeaseLockingAsset } from './pg-lease-check.js';
import { indexTranscript } from './pg-search.js';
import {
  assertSubmittedType,
  mergedFacts,
  numberedDerived,
  unpublishableUpload,
} from '../job-rules.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function completeJob(pool: pg.Pool, input: CompleteJobInput) {
  return inTransaction(pool, (c) => completeJobIn(c, input));
}

/** The completion inside the caller's transaction. */
export async function completeJobIn(
  c: Queryable,
  input: CompleteJobInput,
): Promise<CompleteJobResult> {
  const { job, asset } = await checkLeaseLockingAsset(c, input);
  assertSubmittedType(job, input.jobType);
  const now = iso(input.nowMs);
  const replacedFiles: string[] = [];
  // The merged facts are written with the revision bump below.
  if (input.facts) asset.facts = mergedFacts(asset, input.facts);
  if (input.derived && input.derived.length > 0) {
    const kinds = new Set(input.derived.map((d) => d.kind));
    const oldRows = await all<{ kind: DerivedKind; relative_path: string }>(
      c,
      'SELECT kind, relative_path FROM derived_files WHERE asset_uuid = $1',
      [asset.uuid],
    );
    for (const r of oldRows) if (kinds.has(r.kind)) replacedFiles.push(r.relative_path);
    await run(c, 'DELETE FROM derived_files WHERE asset_uuid = $1 AND kind = ANY($2::text[])', [
      asset.uuid,
      [...kinds],
    ]);
    for (const d of numberedDerived(input.derived)) {
      await run(
        c,
        `INSERT INTO derived_files (asset_uuid, kind, idx, upload_id, content_type, size_bytes, sha256, relative_path, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          asset.uuid,
          d.kind,
          d.idx,
          d.upload_id,
          d.content_type,
          d.size_bytes,
          d.sha256,
          d.relative_path,
          now,
        ],
      );
      const published = await run(
        c,
        `UPDATE uploads SET status = 'PUBLISHED' WHERE upload_id = $1 AND status = 'COMPLETED'`,
        [d.upload_id],
      );
      if (published !== 1) throw unpublishableUpload(d.upload_id);
    }
  }
  if (input.transcript) {
    const merged = { ...(asset.transcript ?? {}), ...input.transcript };
    await run(c, 'UPDATE assets SET transcript = $1 WHERE uuid = $2', [
      JSON.stringify(merged),
      asset.uuid,
    ]);
    await indexTranscript(c, asset.uuid, merged.text ?? '');
    asset.transcript = merged;
  }
  const { done, jobs } = await finishCompletion(
    c,
    job,
    asset.uuid,
    now,
    input.facts && asset.facts,
  );
  asset.revision += 1;
  // A follow-up job just planned is pending, so the asset stays in review processing.
  const planned = await ensurePlannedJobs(
    c,
    asset,
    input.flags,
    now,
    new Set(jobs.map((j) => j.job_type)),
  );
  if (planned.length === 0) {
    await advanceAfterCompletion(
      c,
      asset,
      now,
      jobs.map((j) => j.status),
    );
  }
  return { job: done, replacedFiles, assetState: asset.state };
}

/**
 * The end of a completion in one round trip (three before): the asset's revision bumped (with
 * its merged facts, for a facts result only: naming `facts` rewrites the capture-time and
 * duration index entries, as on SQLite), the claim ended, the job completed, and the asset's
 * jobs read for planning and advancing. The jobs are read in the statement's snapshot, where
 * this job is not completed yet: its status is set here.
 */
async function finishCompletion(
  c: Queryable,
  job: JobRecord,
  assetUuid: string,
  now: string,
  facts: AssetRecord['facts'] | undefined,
): Promise<{ done: JobRecord; jobs: { job_type: string; status: JobRecord['status'] }[] }> {
  const bump = facts
    ? 'UPDATE assets SET facts = $5, revision = revision + 1, updated_at = $1 WHERE uuid = $4'
    : 'UPDATE assets SET revision = revision + 1, updated_at = $1 WHERE uuid = $4';
  const row = (await one(
    c,
    `WITH bumped AS (${bump}),
     ended AS (UPDATE job_claims SET ended_at = $1, outcome = 'completed'
                WHERE job_id = $2 AND fencing_token = $3),
     done AS (UPDATE jobs SET status = 'completed', completed_at = $1, locked_until_ms = NULL
               WHERE job_id = $2 RETURNING *)
     SELECT done.*,
            (SELECT json_agg(json_build_object('job_id', s.job_id, 'job_type', s.job_type,
                                               'status', s.status))
               FROM jobs s WHERE s.asset_uuid = $4) AS asset_jobs
       FROM done`,
    [now, job.job_id, job.fencing_token, assetUuid, ...(facts ? [JSON.stringify(facts)] : [])],
  ))!;
  const { asset_jobs: siblings, ...doneRow } = row;
  const jobs = (
    siblings as { job_id: string; job_type: string; status: JobRecord['status'] }[]
  ).map((j) => ({
    job_type: j.job_type,
    status: j.job_id === job.job_id ? 'completed' : j.status,
  }));
  return { done: mapJob(doneRow), jobs };
}
