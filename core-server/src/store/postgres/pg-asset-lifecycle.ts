// Asset state moves on PostgreSQL, run inside the caller's transaction: the same rules as
// ../sqlite/asset-lifecycle.ts (see there for why each exists). Every read that precedes a
// write of the asset takes its row lock (FOR UPDATE), so two replicas finishing two jobs of one
// asset at once take turns and the second sees the first's outcome.
import { randomUUID } from 'node:crypto';
import {
  featureFlagFor,
  requiredCapabilities,
  type AssetState,
  type FeatureFlags,
} from '@retaia/protocol';
import { plannedJobTypes } from '../../domain/job-plan.js';
import { missingMinimalFacts } from '../../domain/minimal-facts.js';
import type { AssetRecord, JobRecord } from '../records.js';
import { PROCESSING_FAILED_TAG } from '../sqlite/asset-lifecycle.js';
import { mapAsset, mapJob } from '../sqlite/row-mappers.js';
import { all, one, run, type Queryable, type Row } from './pg-db.js';

export async function loadAsset(
  q: Queryable,
  uuid: string,
  lock = false,
): Promise<AssetRecord | undefined> {
  const row = await one(q, `SELECT * FROM assets WHERE uuid = $1${lock ? ' FOR UPDATE' : ''}`, [
    uuid,
  ]);
  return row ? mapAsset(row) : undefined;
}

/** The asset's jobs, each with the human message of its latest ended claim. */
export async function loadAssetJobs(q: Queryable, uuid: string): Promise<JobRecord[]> {
  const rows = await all(
    q,
    `SELECT j.*, (SELECT c.message FROM job_claims c
                    WHERE c.job_id = j.job_id AND c.ended_at IS NOT NULL
                    ORDER BY c.fencing_token DESC LIMIT 1) AS last_error_message
       FROM jobs j WHERE j.asset_uuid = $1 ORDER BY j.created_at, j.job_type`,
    [uuid],
  );
  return rows.map(mapJob);
}

export async function setAssetState(
  q: Queryable,
  asset: AssetRecord,
  to: AssetState,
  cause: string,
  now: string,
): Promise<void> {
  // The state and its transition log entry in one round trip.
  await run(
    q,
    `WITH moved AS (
       UPDATE assets SET state = $1, revision = revision + 1, updated_at = $2 WHERE uuid = $3
         RETURNING uuid)
     INSERT INTO asset_transitions (asset_uuid, from_state, to_state, cause, at)
       SELECT uuid, $4, $1, $5, $2 FROM moved`,
    [to, now, asset.uuid, asset.state, cause],
  );
  asset.state = to;
  asset.revision += 1;
}

export async function bumpRevision(q: Queryable, uuid: string, now: string): Promise<void> {
  await run(q, 'UPDATE assets SET revision = revision + 1, updated_at = $1 WHERE uuid = $2', [
    now,
    uuid,
  ]);
}

/** Creates the jobs the asset's profile needs and that do not exist yet. Returns the new ids. */
export async function ensurePlannedJobs(
  q: Queryable,
  asset: AssetRecord,
  flags: FeatureFlags,
  now: string,
  /** The asset's job types, when the caller has just read them. */
  known?: ReadonlySet<string>,
): Promise<string[]> {
  const existing =
    known ??
    new Set(
      (
        await all<{ job_type: string }>(q, 'SELECT job_type FROM jobs WHERE asset_uuid = $1', [
          asset.uuid,
        ])
      ).map((r) => r.job_type),
    );
  const created: string[] = [];
  for (const type of plannedJobTypes(asset.media_type, asset.profile, asset.facts, flags)) {
    if (existing.has(type)) continue;
    const id = randomUUID();
    await run(
      q,
      `INSERT INTO jobs (job_id, asset_uuid, job_type, status, required_capabilities, feature_flag, created_at)
       VALUES ($1, $2, $3, 'pending', $4, $5, $6)`,
      [
        id,
        asset.uuid,
        type,
        JSON.stringify(requiredCapabilities(type, asset.media_type)),
        featureFlagFor(type) ?? null,
        now,
      ],
    );
    created.push(id);
  }
  return created;
}

async function setSystemTag(q: Queryable, asset: AssetRecord, tag: string, on: boolean) {
  const tags = asset.tags.filter((t) => t !== tag);
  if (on) tags.push(tag);
  await run(q, 'UPDATE assets SET tags = $1 WHERE uuid = $2', [JSON.stringify(tags), asset.uuid]);
  asset.tags = tags;
}

/** Once no job of the asset is pending or claimed, it leaves review processing. */
export async function advanceAfterCompletion(
  q: Queryable,
  asset: AssetRecord,
  now: string,
  /** The asset's job statuses, when the caller has just read them. */
  known?: readonly JobRecord['status'][],
) {
  if (asset.state !== 'PROCESSING_REVIEW') return;
  // Statuses only: the full rows (with each job's last claim message) are for views.
  const statuses =
    known ??
    (
      await all<{ status: JobRecord['status'] }>(
        q,
        'SELECT status FROM jobs WHERE asset_uuid = $1',
        [asset.uuid],
      )
    ).map((j) => j.status);
  if (statuses.length === 0) return;
  if (statuses.some((s) => s === 'pending' || s === 'claimed')) return;
  const failed = statuses.includes('failed');
  const factsMissing = missingMinimalFacts(asset.media_type, asset.facts).length > 0;
  if (factsMissing && !failed) return;
  if (failed) await setSystemTag(q, asset, PROCESSING_FAILED_TAG, true);
  if (asset.profile === 'audio_undefined' && !factsMissing) {
    await setAssetState(q, asset, 'REVIEW_PENDING_PROFILE', 'profile_required', now);
    return;
  }
  await setAssetState(q, asset, 'PROCESSED', 'processing_completed', now);
  await setAssetState(q, asset, 'DECISION_PENDING', 'decision_requested', now);
}

/** A job failed for good: the asset's revision moves on, and it may leave review processing. */
export async function settleAfterPermanentFailure(q: Queryable, assetUuid: string, now: string) {
  const asset = await loadAsset(q, assetUuid, true);
  if (!asset) return;
  await bumpRevision(q, assetUuid, now);
  asset.revision += 1;
  await advanceAfterCompletion(q, asset, now);
}

export async function clearProcessingFailure(q: Queryable, asset: AssetRecord) {
  if (asset.tags.includes(PROCESSING_FAILED_TAG)) {
    await setSystemTag(q, asset, PROCESSING_FAILED_TAG, false);
  }
}

/** After a job went back to pending: READY again when nothing of the review runs or is done. */
export async function returnToReadyIfIdle(q: Queryable, assetUuid: string, now: string) {
  const asset = await loadAsset(q, assetUuid, true);
  if (!asset || asset.state !== 'PROCESSING_REVIEW') return;
  const busy = await one<Row>(
    q,
    `SELECT 1 FROM jobs WHERE asset_uuid = $1 AND status IN ('claimed', 'completed') LIMIT 1`,
    [assetUuid],
  );
  if (!busy) await setAssetState(q, asset, 'READY', 'processing_replanned', now);
}
