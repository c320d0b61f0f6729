// Asset state moves the job queue triggers, run inside the caller's transaction. Each one bumps
// the asset revision (so its ETag changes) and appends to the transition log.
import { randomUUID } from 'node:crypto';
import {
  featureFlagFor,
  requiredCapabilities,
  type AssetState,
  type FeatureFlags,
} from '@retaia/protocol';
import type { Database } from 'better-sqlite3';
import { plannedJobTypes } from '../../domain/job-plan.js';
import { missingMinimalFacts } from '../../domain/minimal-facts.js';
import type { AssetRecord, JobRecord } from '../records.js';
import { mapAsset, mapJob } from './row-mappers.js';

export function loadAsset(db: Database, uuid: string): AssetRecord | undefined {
  const row = db.prepare('SELECT * FROM assets WHERE uuid = ?').get(uuid) as
    Record<string, unknown> | undefined;
  return row ? mapAsset(row) : undefined;
}

/** The asset's jobs, each with the human message of its latest ended claim (the agent's words). */
export function loadAssetJobs(db: Database, uuid: string): JobRecord[] {
  return (
    db
      .prepare(
        `SELECT j.*, (SELECT c.message FROM job_claims c
                        WHERE c.job_id = j.job_id AND c.ended_at IS NOT NULL
                        ORDER BY c.fencing_token DESC LIMIT 1) AS last_error_message
           FROM jobs j WHERE j.asset_uuid = ? ORDER BY j.created_at, j.job_type`,
      )
      .all(uuid) as Record<string, unknown>[]
  ).map(mapJob);
}

export function setAssetState(
  db: Database,
  asset: AssetRecord,
  to: AssetState,
  cause: string,
  now: string,
): void {
  db.prepare(
    'UPDATE assets SET state = ?, revision = revision + 1, updated_at = ? WHERE uuid = ?',
  ).run(to, now, asset.uuid);
  logTransition(db, asset.uuid, asset.state, to, cause, now);
  asset.state = to;
  asset.revision += 1;
}

/** The asset's transition log entry, written with every state change. */
export function logTransition(
  db: Database,
  uuid: string,
  from: AssetState,
  to: AssetState,
  cause: string,
  now: string,
): void {
  db.prepare(
    'INSERT INTO asset_transitions (asset_uuid, from_state, to_state, cause, at) VALUES (?, ?, ?, ?, ?)',
  ).run(uuid, from, to, cause, now);
}

export function bumpRevision(db: Database, uuid: string, now: string): void {
  db.prepare('UPDATE assets SET revision = revision + 1, updated_at = ? WHERE uuid = ?').run(
    now,
    uuid,
  );
}

/** Creates the jobs the asset's profile needs and that do not exist yet. Returns the new ids. */
export function ensurePlannedJobs(
  db: Database,
  asset: AssetRecord,
  flags: FeatureFlags,
  now: string,
  /** The asset's job types, when the caller has just read them. */
  known?: ReadonlySet<string>,
): string[] {
  const existing =
    known ??
    new Set(
      (
        db.prepare('SELECT job_type FROM jobs WHERE asset_uuid = ?').all(asset.uuid) as {
          job_type: string;
        }[]
      ).map((r) => r.job_type),
    );
  const insert = db.prepare(
    `INSERT INTO jobs (job_id, asset_uuid, job_type, status, required_capabilities, feature_flag, created_at)
     VALUES (?, ?, ?, 'pending', ?, ?, ?)`,
  );
  const created: string[] = [];
  for (const type of plannedJobTypes(asset.media_type, asset.profile, asset.facts, flags)) {
    if (existing.has(type)) continue;
    const id = randomUUID();
    insert.run(
      id,
      asset.uuid,
      type,
      JSON.stringify(requiredCapabilities(type, asset.media_type)),
      featureFlagFor(type) ?? null,
      now,
    );
    created.push(id);
  }
  return created;
}

/**
 * Reserved tag Core sets on an asset whose review processing ended with a job failed for good
 * (listed in `AssetSummary.tags`, so lists can show and filter failed assets without a detail
 * read). Humans cannot set or remove `retaia:` tags; reprocess clears it. See docs/review-page.md.
 */
export const PROCESSING_FAILED_TAG = 'retaia:processing-failed';
export const SYSTEM_TAG_PREFIX = 'retaia:';

function setSystemTag(db: Database, asset: AssetRecord, tag: string, on: boolean): void {
  const tags = asset.tags.filter((t) => t !== tag);
  if (on) tags.push(tag);
  db.prepare('UPDATE assets SET tags = ? WHERE uuid = ?').run(JSON.stringify(tags), asset.uuid);
  asset.tags = tags;
}

/**
 * After a job completed or failed for good: once no job of the asset is pending or claimed any
 * more, the asset leaves review processing. The contract has no failed state, so a permanent
 * failure does not stop the asset: it carries the `retaia:processing-failed` tag and its
 * failures in `fields` (see wire-views), and goes on to DECISION_PENDING so a human can Reject
 * it, Keep it anyway, or Retry (POST /reprocess) — even when the failed job was extract_facts
 * and the minimal facts are missing. `audio_undefined` with its minimal facts stops at
 * REVIEW_PENDING_PROFILE as usual (a human must pick the profile); without them a profile choice
 * could not help, so it goes to DECISION_PENDING too.
 */
export function advanceAfterCompletion(
  db: Database,
  asset: AssetRecord,
  now: string,
  /** The asset's job statuses, when the caller has just read them. */
  known?: readonly JobRecord['status'][],
): void {
  if (asset.state !== 'PROCESSING_REVIEW') return;
  // Statuses only: the full rows (with each job's last claim message) are for views.
  const statuses =
    known ??
    (
      db.prepare('SELECT status FROM jobs WHERE asset_uuid = ?').all(asset.uuid) as {
        status: JobRecord['status'];
      }[]
    ).map((j) => j.status);
  if (statuses.length === 0) return;
  if (statuses.some((s) => s === 'pending' || s === 'claimed')) return;
  const failed = statuses.includes('failed');
  const factsMissing = missingMinimalFacts(asset.media_type, asset.facts).length > 0;
  if (factsMissing && !failed) return;
  if (failed) setSystemTag(db, asset, PROCESSING_FAILED_TAG, true);
  if (asset.profile === 'audio_undefined' && !factsMissing) {
    setAssetState(db, asset, 'REVIEW_PENDING_PROFILE', 'profile_required', now);
    return;
  }
  setAssetState(db, asset, 'PROCESSED', 'processing_completed', now);
  setAssetState(db, asset, 'DECISION_PENDING', 'decision_requested', now);
}

/**
 * A job failed for good. The asset's representation changes (the failure shows in its detail),
 * so its revision moves on even when its state does not yet (other jobs still running): live
 * lists see the change, and a stale If-Match is caught.
 */
export function settleAfterPermanentFailure(db: Database, assetUuid: string, now: string): void {
  bumpRevision(db, assetUuid, now);
  const asset = loadAsset(db, assetUuid);
  if (asset) advanceAfterCompletion(db, asset, now);
}

/** Reprocess starts over: the failure tag goes with the failed jobs. */
export function clearProcessingFailure(db: Database, asset: AssetRecord): void {
  if (asset.tags.includes(PROCESSING_FAILED_TAG)) {
    setSystemTag(db, asset, PROCESSING_FAILED_TAG, false);
  }
}

/**
 * After a job went back to pending: if nothing of the asset's review is running or done any
 * more, the asset is READY again (docs/asset-states.md allows PROCESSING_REVIEW→READY on retryable failure), so
 * the next first claim moves it to PROCESSING_REVIEW as usual.
 */
export function returnToReadyIfIdle(db: Database, assetUuid: string, now: string): void {
  const asset = loadAsset(db, assetUuid);
  if (!asset || asset.state !== 'PROCESSING_REVIEW') return;
  const busy = db
    .prepare(
      `SELECT 1 FROM jobs WHERE asset_uuid = ? AND status IN ('claimed', 'completed') LIMIT 1`,
    )
    .get(assetUuid);
  if (!busy) setAssetState(db, asset, 'READY', 'processing_replanned', now);
}

/**
 * Databases written before failed assets moved on can hold assets stuck in PROCESSING_REVIEW
 * with a failed job and nothing running. Run at open: settles them by the rule above (one
 * indexed query when there is nothing to do).
 */
export function settleStalledAssets(db: Database): number {
  const stuck = db
    .prepare(
      `SELECT a.uuid FROM assets a WHERE a.state = 'PROCESSING_REVIEW'
         AND EXISTS (SELECT 1 FROM jobs j WHERE j.asset_uuid = a.uuid AND j.status = 'failed')
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.asset_uuid = a.uuid
                          AND j.status IN ('pending', 'claimed'))`,
    )
    .all() as { uuid: string }[];
  const now = new Date().toISOString();
  db.transaction(() => {
    for (const { uuid } of stuck) settleAfterPermanentFailure(db, uuid, now);
  })();
  return stuck.length;
}
