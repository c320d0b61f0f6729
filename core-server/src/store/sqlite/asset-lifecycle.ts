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

export function loadAssetJobs(db: Database, uuid: string): JobRecord[] {
  return (
    db
      .prepare('SELECT * FROM jobs WHERE asset_uuid = ? ORDER BY created_at, job_type')
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
  db.prepare(
    'INSERT INTO asset_transitions (asset_uuid, from_state, to_state, cause, at) VALUES (?, ?, ?, ?, ?)',
  ).run(asset.uuid, asset.state, to, cause, now);
  asset.state = to;
  asset.revision += 1;
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
): string[] {
  const existing = new Set(
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
 * After a job completed or failed for good: when no job of the asset is pending or claimed any
 * more and the minimal facts are there, the asset leaves review processing — even if some job
 * (thumbnails, waveform…) failed permanently: a human can still decide, the failure is shown in
 * the detail's `fields`, and POST /reprocess retries. `audio_undefined` stops at
 * REVIEW_PENDING_PROFILE (a human must pick the profile); everything else goes PROCESSED and
 * then, automatically, DECISION_PENDING. Without minimal facts the asset stays in
 * PROCESSING_REVIEW with the failure visible, and reprocess re-plans it (→ READY).
 */
export function advanceAfterCompletion(db: Database, asset: AssetRecord, now: string): void {
  if (asset.state !== 'PROCESSING_REVIEW') return;
  const jobs = loadAssetJobs(db, asset.uuid);
  if (jobs.length === 0) return;
  if (jobs.some((j) => j.status === 'pending' || j.status === 'claimed')) return;
  if (missingMinimalFacts(asset.media_type, asset.facts).length > 0) return;
  if (asset.profile === 'audio_undefined') {
    setAssetState(db, asset, 'REVIEW_PENDING_PROFILE', 'profile_required', now);
    return;
  }
  setAssetState(db, asset, 'PROCESSED', 'processing_completed', now);
  setAssetState(db, asset, 'DECISION_PENDING', 'decision_requested', now);
}

/**
 * After a job went back to pending: if nothing of the asset's review is running or done any
 * more, the asset is READY again (SPEC allows PROCESSING_REVIEW→READY on retryable failure), so
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
