// Submit: completes the job and merges its result into its own domain only (facts, derived kinds
// or transcript), then plans follow-up jobs and advances the asset — all in one transaction.
// Derived files are recorded here; the caller moves the bytes into place after the commit.
import type { DerivedKind } from '@retaia/protocol';
import type { Database } from 'better-sqlite3';
import { advanceAfterCompletion, ensurePlannedJobs, loadAsset } from '../asset-lifecycle.js';
import { mapJob } from '../row-mappers.js';
import type { JobRecord } from '../../records.js';
import { indexAssetTranscript } from '../asset-search-rows.js';
import { checkLease } from './check-lease.js';
import type { CompleteJobInput, CompleteJobResult } from '../../store-types.js';
import { transactionPerConnection } from './transaction-per-connection.js';
import {
  assertSubmittedType,
  mergedFacts,
  numberedDerived,
  unpublishableUpload,
} from '../../job-rules.js';

/** Completes in a transaction of its own. */
export function completeJob(db: Database, input: CompleteJobInput): CompleteJobResult {
  return completeTransaction(db).immediate(input);
}

const completeTransaction = transactionPerConnection(completeInTransaction);

/**
 * The completion's statements, for a caller that already holds a transaction and rolls it (or
 * its savepoint) back when this throws.
 */
export function completeInTransaction(db: Database, input: CompleteJobInput): CompleteJobResult {
  const job = checkLease(db, input);
  assertSubmittedType(job, input.jobType);
  const now = new Date(input.nowMs).toISOString();
  const asset = loadAsset(db, job.asset_uuid)!;
  const replacedFiles: string[] = [];

  // The merged facts are written with the revision bump below.
  if (input.facts) asset.facts = mergedFacts(asset, input.facts);

  if (input.derived && input.derived.length > 0) {
    const kinds = new Set(input.derived.map((d) => d.kind));
    const oldRows = db
      .prepare('SELECT kind, relative_path FROM derived_files WHERE asset_uuid = ?')
      .all(asset.uuid) as { kind: DerivedKind; relative_path: string }[];
    for (const r of oldRows) if (kinds.has(r.kind)) replacedFiles.push(r.relative_path);
    const del = db.prepare('DELETE FROM derived_files WHERE asset_uuid = ? AND kind = ?');
    for (const k of kinds) del.run(asset.uuid, k);
    const insert = db.prepare(
      `INSERT INTO derived_files (asset_uuid, kind, idx, upload_id, content_type, size_bytes, sha256, relative_path, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const publish = db.prepare(
      `UPDATE uploads SET status = 'PUBLISHED' WHERE upload_id = ? AND status = 'COMPLETED'`,
    );
    for (const d of numberedDerived(input.derived)) {
      insert.run(
        asset.uuid,
        d.kind,
        d.idx,
        d.upload_id,
        d.content_type,
        d.size_bytes,
        d.sha256,
        d.relative_path,
        now,
      );
      if (publish.run(d.upload_id).changes !== 1) throw unpublishableUpload(d.upload_id);
    }
  }

  if (input.transcript) {
    const merged = { ...(asset.transcript ?? {}), ...input.transcript };
    db.prepare('UPDATE assets SET transcript = ? WHERE uuid = ?').run(
      JSON.stringify(merged),
      asset.uuid,
    );
    indexAssetTranscript(db, asset.uuid, merged.text ?? '');
    asset.transcript = merged;
  }

  // The merged facts ride on the revision bump: one write of the asset row, not two. Only a
  // facts result names `facts`: an UPDATE naming it rewrites the list's capture-time and
  // duration index entries (schema v14), changed or not.
  if (input.facts) {
    db.prepare(
      'UPDATE assets SET facts = ?, revision = revision + 1, updated_at = ? WHERE uuid = ?',
    ).run(JSON.stringify(asset.facts), now, asset.uuid);
  } else {
    db.prepare('UPDATE assets SET revision = revision + 1, updated_at = ? WHERE uuid = ?').run(
      now,
      asset.uuid,
    );
  }
  asset.revision += 1;
  const done = db
    .prepare(
      `UPDATE jobs SET status = 'completed', completed_at = ?, locked_until_ms = NULL
           WHERE job_id = ? RETURNING *`,
    )
    .get(now, job.job_id) as Record<string, unknown>;
  db.prepare(
    `UPDATE job_claims SET ended_at = ?, outcome = 'completed' WHERE job_id = ? AND fencing_token = ?`,
  ).run(now, job.job_id, job.fencing_token);
  // The asset's job types and statuses, read once for planning and advancing. A follow-up job
  // just planned is pending, so the asset stays in review processing.
  const jobs = db
    .prepare('SELECT job_type, status FROM jobs WHERE asset_uuid = ?')
    .all(asset.uuid) as { job_type: string; status: JobRecord['status'] }[];
  const types = new Set(jobs.map((j) => j.job_type));
  const planned = ensurePlannedJobs(db, asset, input.flags, now, types);
  if (planned.length === 0) {
    advanceAfterCompletion(
      db,
      asset,
      now,
      jobs.map((j) => j.status),
    );
  }
  return { job: mapJob(done), replacedFiles, assetState: asset.state };
}
