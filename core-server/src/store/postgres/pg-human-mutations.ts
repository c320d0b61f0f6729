// Human mutations of one asset on PostgreSQL (PATCH, reopen, reprocess) and their decision
// history: the rules of ../sqlite/human-mutations.ts and ../sqlite/decision-history.ts. Each is
// one transaction that locks the asset row first, then compares its revision with the caller's
// If-Match: a change committed by another replica in between is a 412, never a lost update.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { AssetState, FeatureFlags, ProcessingProfile } from '@retaia/protocol';
import { staleRevision } from '../../domain/asset-etag.js';
import { CoreError, notFound } from '../../errors/core-error.js';
import {
  AssetLockedError,
  assertTransition,
  humanPatchCause,
  StateConflictError,
} from '../../moves/index.js';
import type { AssetRecord } from '../records.js';
import { PROCESSING_FAILED_TAG, SYSTEM_TAG_PREFIX } from '../sqlite/asset-lifecycle.js';
import { decisionActionFor } from '../sqlite/decision-history.js';
import { RETRYABLE_AFTER_FAILURE } from '../sqlite/human-mutations.js';
import type {
  DecisionAction,
  DecisionHistoryEntry,
  HumanMutationInput,
  HumanPatch,
} from '../store-types.js';
import {
  bumpRevision,
  clearProcessingFailure,
  ensurePlannedJobs,
  loadAsset,
  loadAssetJobs,
  setAssetState,
} from './pg-asset-lifecycle.js';
import { all, inTransaction, run, type Queryable } from './pg-db.js';
import { isAssetLocked } from './pg-move-journal.js';
import { indexNotes, indexTranscript } from './pg-search.js';

async function guard(c: Queryable, input: HumanMutationInput): Promise<AssetRecord> {
  const asset = await loadAsset(c, input.uuid, true);
  if (!asset) throw notFound('asset', input.uuid);
  if (asset.state === 'PURGED') {
    throw new CoreError('STATE_CONFLICT', 410, `asset ${asset.uuid} is purged`);
  }
  if (asset.revision !== input.expectedRevision) throw staleRevision(asset);
  if (await isAssetLocked(c, asset.uuid, input.nowMs)) {
    throw new AssetLockedError(`asset ${asset.uuid} is being moved or purged; retry in a moment`, {
      asset_uuid: asset.uuid,
    });
  }
  return asset;
}

async function recordDecision(
  c: Queryable,
  e: { asset_uuid: string; action: DecisionAction; at: string; by: string; from: AssetState },
) {
  await run(
    c,
    `INSERT INTO asset_audit (operation_id, action, asset_uuid, at, details) VALUES ($1, $2, $3, $4, $5)`,
    [
      randomUUID(),
      `DECISION_${e.action}`,
      e.asset_uuid,
      e.at,
      JSON.stringify({ by: e.by, from: e.from }),
    ],
  );
}

export async function listDecisionHistory(
  q: Queryable,
  uuid: string,
): Promise<DecisionHistoryEntry[]> {
  const rows = await all<{ action: string; at: string; details: string }>(
    q,
    `SELECT action, at, details FROM asset_audit
      WHERE asset_uuid = $1 AND action IN ('DECISION_KEEP', 'DECISION_REJECT', 'DECISION_CLEAR')
      ORDER BY seq`,
    [uuid],
  );
  return rows.map((r) => ({
    action: r.action.slice('DECISION_'.length) as DecisionAction,
    at: r.at,
    by: (JSON.parse(r.details) as { by: string }).by,
  }));
}

export function patchAsset(
  pool: pg.Pool,
  input: HumanMutationInput & { patch: HumanPatch; flags: FeatureFlags },
): Promise<AssetRecord> {
  return inTransaction(pool, async (c) => {
    const asset = await guard(c, input);
    const now = new Date(input.nowMs).toISOString();
    const { patch } = input;
    let changedMeta = false;
    if (patch.tags !== undefined) {
      const human = patch.tags.filter((t) => !t.startsWith(SYSTEM_TAG_PREFIX));
      const system = asset.tags.filter((t) => t.startsWith(SYSTEM_TAG_PREFIX));
      await run(c, 'UPDATE assets SET tags = $1 WHERE uuid = $2', [
        JSON.stringify([...new Set([...human, ...system])]),
        asset.uuid,
      ]);
      changedMeta = true;
    }
    if (patch.notes !== undefined) {
      await run(c, 'UPDATE assets SET notes = $1 WHERE uuid = $2', [patch.notes, asset.uuid]);
      await indexNotes(c, asset.uuid, patch.notes);
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
      await setAssetState(c, asset, to, cause!, now);
      const action = decisionActionFor(to);
      if (action)
        await recordDecision(c, { asset_uuid: asset.uuid, action, at: now, by: input.by, from });
    } else if (patch.processing_profile) {
      await chooseProfile(c, asset, patch.processing_profile, input.flags, now);
    } else if (changedMeta) {
      await bumpRevision(c, asset.uuid, now);
    }
    return (await loadAsset(c, asset.uuid))!;
  });
}

async function chooseProfile(
  c: Queryable,
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
  await run(c, 'UPDATE assets SET profile = $1 WHERE uuid = $2', [profile, asset.uuid]);
  asset.profile = profile;
  const added = await ensurePlannedJobs(c, asset, flags, now);
  if (added.length > 0) {
    await setAssetState(c, asset, 'READY', 'profile_chosen', now);
  } else {
    await setAssetState(c, asset, 'PROCESSED', 'profile_chosen', now);
    await setAssetState(c, asset, 'DECISION_PENDING', 'decision_requested', now);
  }
}

export function reopenAsset(pool: pg.Pool, input: HumanMutationInput): Promise<AssetRecord> {
  return inTransaction(pool, async (c) => {
    const asset = await guard(c, input);
    assertTransition(asset.state, 'DECISION_PENDING', 'reopen');
    const from = asset.state;
    const now = new Date(input.nowMs).toISOString();
    await setAssetState(c, asset, 'DECISION_PENDING', 'reopen', now);
    await recordDecision(c, {
      asset_uuid: asset.uuid,
      action: 'CLEAR',
      at: now,
      by: input.by,
      from,
    });
    return asset;
  });
}

export function reprocessAsset(
  pool: pg.Pool,
  input: HumanMutationInput & { flags: FeatureFlags },
): Promise<{ asset: AssetRecord; droppedDerived: string[] }> {
  return inTransaction(pool, async (c) => {
    const asset = await guard(c, input);
    const now = new Date(input.nowMs).toISOString();
    let cause: 'reprocess' | 'processing_replanned' = 'reprocess';
    if (asset.state === 'PROCESSING_REVIEW') {
      const jobs = await loadAssetJobs(c, asset.uuid);
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
        await recordDecision(c, {
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
    await clearProcessingFailure(c, asset);
    const dropped = (
      await all<{ relative_path: string }>(
        c,
        'SELECT relative_path FROM derived_files WHERE asset_uuid = $1',
        [asset.uuid],
      )
    ).map((r) => r.relative_path);
    await run(c, 'DELETE FROM derived_files WHERE asset_uuid = $1', [asset.uuid]);
    await run(
      c,
      'DELETE FROM job_claims WHERE job_id IN (SELECT job_id FROM jobs WHERE asset_uuid = $1)',
      [asset.uuid],
    );
    await run(c, 'DELETE FROM jobs WHERE asset_uuid = $1', [asset.uuid]);
    await run(
      c,
      `UPDATE assets SET facts = '{}', transcript = NULL,
         review_processing_version = review_processing_version + 1 WHERE uuid = $1`,
      [asset.uuid],
    );
    await indexTranscript(c, asset.uuid, '');
    asset.facts = {};
    asset.transcript = null;
    await setAssetState(c, asset, 'READY', cause, now);
    await ensurePlannedJobs(c, asset, input.flags, now);
    return { asset: (await loadAsset(c, asset.uuid))!, droppedDerived: dropped };
  });
}
