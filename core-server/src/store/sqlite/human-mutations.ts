// Human mutations of one asset (PATCH, reopen, reprocess), each one IMMEDIATE transaction with a
// compare-and-set on the revision the caller's If-Match named: a concurrent change between the
// route's ETag check and the write is still a 412, never a lost update. Assets under a live
// move/purge lock are refused (409, retryable) so a decision cannot change under the mover.
import type { AssetState, FeatureFlags, ProcessingProfile } from '@retaia/protocol';
import type { Database } from 'better-sqlite3';
import { staleRevision } from '../../domain/asset-etag.js';
import { CoreError, notFound } from '../../errors/core-error.js';
import {
  AssetLockedError,
  assertTransition,
  humanPatchCause,
  StateConflictError,
} from '../../moves/index.js';
import type { AssetRecord } from '../records.js';
import { indexAssetTranscript } from './asset-search-rows.js';
import {
  clearProcessingFailure,
  ensurePlannedJobs,
  loadAsset,
  loadAssetJobs,
  PROCESSING_FAILED_TAG,
  setAssetState,
  SYSTEM_TAG_PREFIX,
} from './asset-lifecycle.js';
import { decisionActionFor, recordDecision } from './decision-history.js';
import { isAssetLocked } from './sqlite-move-journal.js';
import type { HumanMutationInput, HumanPatch } from '../store-types.js';

function guard(db: Database, input: HumanMutationInput): AssetRecord {
  const asset = loadAsset(db, input.uuid);
  if (!asset) throw notFound('asset', input.uuid);
  if (asset.state === 'PURGED') {
    throw new CoreError('STATE_CONFLICT', 410, `asset ${asset.uuid} is purged`);
  }
  if (asset.revision !== input.expectedRevision) throw staleRevision(asset);
  if (isAssetLocked(db, asset.uuid, input.nowMs)) {
    throw new AssetLockedError(`asset ${asset.uuid} is being moved or purged; retry in a moment`, {
      asset_uuid: asset.uuid,
    });
  }
  return asset;
}

function bump(db: Database, asset: AssetRecord, now: string) {
  db.prepare('UPDATE assets SET revision = revision + 1, updated_at = ? WHERE uuid = ?').run(
    now,
    asset.uuid,
  );
  asset.revision += 1;
}

export function patchAsset(
  db: Database,
  input: HumanMutationInput & { patch: HumanPatch; flags: FeatureFlags },
): AssetRecord {
  return db
    .transaction(() => {
      const asset = guard(db, input);
      const now = new Date(input.nowMs).toISOString();
      const { patch } = input;
      let changedMeta = false;
      if (patch.tags !== undefined) {
        // `retaia:` tags belong to Core (e.g. the processing-failed mark): humans neither set
        // nor remove them, whatever list they send.
        const human = patch.tags.filter((t) => !t.startsWith(SYSTEM_TAG_PREFIX));
        const system = asset.tags.filter((t) => t.startsWith(SYSTEM_TAG_PREFIX));
        db.prepare('UPDATE assets SET tags = ? WHERE uuid = ?').run(
          JSON.stringify([...new Set([...human, ...system])]),
          asset.uuid,
        );
        changedMeta = true;
      }
      if (patch.notes !== undefined) {
        db.prepare('UPDATE assets SET notes = ? WHERE uuid = ?').run(patch.notes, asset.uuid);
        changedMeta = true;
      }
      if (patch.state) {
        const to = patch.state as AssetState;
        if (to === 'ARCHIVED' || to === 'REJECTED') {
          throw new StateConflictError(
            `${to} is reached by applying the decision (POST /api/v1/ops/decisions/apply), which moves the files first`,
            { from: asset.state, to },
          );
        }
        const cause = humanPatchCause(asset.state, to);
        if (!cause) assertTransition(asset.state, to, 'decision');
        const from = asset.state;
        setAssetState(db, asset, to, cause!, now);
        const action = decisionActionFor(to);
        if (action)
          recordDecision(db, { asset_uuid: asset.uuid, action, at: now, by: input.by, from });
      } else if (patch.processing_profile) {
        chooseProfile(db, asset, patch.processing_profile, input.flags, now);
      } else if (changedMeta) {
        bump(db, asset, now);
      }
      return loadAsset(db, asset.uuid)!;
    })
    .immediate();
}

/** REVIEW_PENDING_PROFILE → READY when the profile adds jobs, else PROCESSED → DECISION_PENDING. */
function chooseProfile(
  db: Database,
  asset: AssetRecord,
  profile: ProcessingProfile,
  flags: FeatureFlags,
  now: string,
) {
  if (asset.state !== 'REVIEW_PENDING_PROFILE') {
    throw new StateConflictError(
      `a processing profile is chosen only in REVIEW_PENDING_PROFILE (asset is ${asset.state})`,
      { from: asset.state },
    );
  }
  if (profile !== 'audio_music' && profile !== 'audio_voice') {
    throw new CoreError(
      'VALIDATION_FAILED',
      422,
      'processing_profile must be audio_music or audio_voice for an audio_undefined asset',
    );
  }
  db.prepare('UPDATE assets SET profile = ? WHERE uuid = ?').run(profile, asset.uuid);
  asset.profile = profile;
  const added = ensurePlannedJobs(db, asset, flags, now);
  if (added.length > 0) {
    setAssetState(db, asset, 'READY', 'profile_chosen', now);
  } else {
    setAssetState(db, asset, 'PROCESSED', 'profile_chosen', now);
    setAssetState(db, asset, 'DECISION_PENDING', 'decision_requested', now);
  }
}

export function reopenAsset(db: Database, input: HumanMutationInput): AssetRecord {
  return db
    .transaction(() => {
      const asset = guard(db, input);
      assertTransition(asset.state, 'DECISION_PENDING', 'reopen');
      const from = asset.state;
      const now = new Date(input.nowMs).toISOString();
      setAssetState(db, asset, 'DECISION_PENDING', 'reopen', now);
      recordDecision(db, { asset_uuid: asset.uuid, action: 'CLEAR', at: now, by: input.by, from });
      return asset;
    })
    .immediate();
}

/**
 * Explicit reprocess (PROCESSED|ARCHIVED|REJECTED → READY): bumps review_processing_version,
 * drops facts, transcript, derived records and every job, then plans fresh jobs. Also accepted
 * ("Retry") for an asset whose processing ended with a failure: still in PROCESSING_REVIEW with
 * nothing pending or claimed (databases from before failed assets moved on), or waiting for /
 * holding a decision with the `retaia:processing-failed` tag. Returns the derived files whose
 * records were dropped so the caller can delete them from disk after commit.
 */
/** Undecided-on-disk states from which a failed asset may be retried (files still in INBOX). */
export const RETRYABLE_AFTER_FAILURE: readonly AssetState[] = [
  'REVIEW_PENDING_PROFILE',
  'DECISION_PENDING',
  'DECIDED_KEEP',
  'DECIDED_REJECT',
];

export function reprocessAsset(
  db: Database,
  input: HumanMutationInput & { flags: FeatureFlags },
): { asset: AssetRecord; droppedDerived: string[] } {
  return db
    .transaction(() => {
      const asset = guard(db, input);
      const now = new Date(input.nowMs).toISOString();
      let cause: 'reprocess' | 'processing_replanned' = 'reprocess';
      if (asset.state === 'PROCESSING_REVIEW') {
        const jobs = loadAssetJobs(db, asset.uuid);
        const stalled =
          jobs.some((j) => j.status === 'failed') &&
          !jobs.some((j) => j.status === 'pending' || j.status === 'claimed');
        if (!stalled) {
          throw new StateConflictError(
            'asset is still being processed; reprocess is possible once its jobs are done or failed',
            { from: asset.state },
          );
        }
        cause = 'processing_replanned';
      } else if (
        RETRYABLE_AFTER_FAILURE.includes(asset.state) &&
        asset.tags.includes(PROCESSING_FAILED_TAG)
      ) {
        cause = 'processing_replanned';
        if (asset.state === 'DECIDED_KEEP' || asset.state === 'DECIDED_REJECT') {
          // Retrying drops the pending decision: the history says so.
          recordDecision(db, {
            asset_uuid: asset.uuid,
            action: 'CLEAR',
            at: now,
            by: input.by,
            from: asset.state,
          });
        }
      } else {
        assertTransition(asset.state, 'READY', 'reprocess');
      }
      clearProcessingFailure(db, asset);
      const dropped = (
        db
          .prepare('SELECT relative_path FROM derived_files WHERE asset_uuid = ?')
          .all(asset.uuid) as {
          relative_path: string;
        }[]
      ).map((r) => r.relative_path);
      db.prepare('DELETE FROM derived_files WHERE asset_uuid = ?').run(asset.uuid);
      db.prepare(
        'DELETE FROM job_claims WHERE job_id IN (SELECT job_id FROM jobs WHERE asset_uuid = ?)',
      ).run(asset.uuid);
      db.prepare('DELETE FROM jobs WHERE asset_uuid = ?').run(asset.uuid);
      db.prepare(
        `UPDATE assets SET facts = '{}', transcript = NULL,
           review_processing_version = review_processing_version + 1 WHERE uuid = ?`,
      ).run(asset.uuid);
      indexAssetTranscript(db, asset.uuid, '');
      asset.facts = {};
      asset.transcript = null;
      setAssetState(db, asset, 'READY', cause, now);
      ensurePlannedJobs(db, asset, input.flags, now);
      return { asset: loadAsset(db, asset.uuid)!, droppedDerived: dropped };
    })
    .immediate();
}
