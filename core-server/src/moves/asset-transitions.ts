// The asset lifecycle of docs/asset-states.md as data. Every allowed (from, to, cause) triple is listed once;
// anything else is a 409 STATE_CONFLICT. Keeping the table as data lets tests enumerate the full
// 11×11 matrix and lets the HTTP layer explain a refusal with the allowed targets.
import { ASSET_STATES, type AssetState } from '@retaia/protocol';
import { StateConflictError } from './move-errors.js';

export const TRANSITION_CAUSES = [
  /** Discovery saw the same size on 2 consecutive scans and mtime older than 5 min. */
  'discovery_stable',
  /** The first review job of the asset was claimed. */
  'job_claimed',
  /** `audio_undefined` asset whose minimal outputs are ready: a human must pick a profile. */
  'profile_required',
  /** All required jobs completed and the minimal facts are present. */
  'processing_completed',
  /** Retryable failure or re-plan of the review jobs. */
  'processing_replanned',
  /** A human picked `audio_music` / `audio_voice` (READY when the profile adds jobs). */
  'profile_chosen',
  /** Core moves processed assets to the review queue automatically. */
  'decision_requested',
  /** Explicit reprocess: version bump, outputs invalidated, new jobs. */
  'reprocess',
  /** A human decided KEEP or REJECT (or switched between them). */
  'decision',
  /** A human cleared a decision. */
  'decision_cancelled',
  /** The batch move of a decision completed on the filesystem. */
  'move_applied',
  /** A human reopened an archived/rejected asset. */
  'reopen',
  /** Explicit purge of a rejected asset. */
  'purge',
] as const;
export type TransitionCause = (typeof TRANSITION_CAUSES)[number];

export interface AssetTransition {
  from: AssetState;
  to: AssetState;
  cause: TransitionCause;
}

const t = (from: AssetState, to: AssetState, cause: TransitionCause): AssetTransition => ({
  from,
  to,
  cause,
});

export const ASSET_TRANSITIONS: readonly AssetTransition[] = Object.freeze([
  t('DISCOVERED', 'READY', 'discovery_stable'),
  t('READY', 'PROCESSING_REVIEW', 'job_claimed'),
  t('PROCESSING_REVIEW', 'REVIEW_PENDING_PROFILE', 'profile_required'),
  t('PROCESSING_REVIEW', 'PROCESSED', 'processing_completed'),
  t('PROCESSING_REVIEW', 'READY', 'processing_replanned'),
  t('REVIEW_PENDING_PROFILE', 'PROCESSED', 'profile_chosen'),
  t('REVIEW_PENDING_PROFILE', 'READY', 'profile_chosen'),
  t('PROCESSED', 'DECISION_PENDING', 'decision_requested'),
  t('PROCESSED', 'READY', 'reprocess'),
  t('ARCHIVED', 'READY', 'reprocess'),
  t('REJECTED', 'READY', 'reprocess'),
  t('DECISION_PENDING', 'DECIDED_KEEP', 'decision'),
  t('DECISION_PENDING', 'DECIDED_REJECT', 'decision'),
  t('DECIDED_KEEP', 'DECIDED_REJECT', 'decision'),
  t('DECIDED_REJECT', 'DECIDED_KEEP', 'decision'),
  t('DECIDED_KEEP', 'DECISION_PENDING', 'decision_cancelled'),
  t('DECIDED_REJECT', 'DECISION_PENDING', 'decision_cancelled'),
  t('DECIDED_KEEP', 'ARCHIVED', 'move_applied'),
  t('DECIDED_REJECT', 'REJECTED', 'move_applied'),
  t('ARCHIVED', 'DECISION_PENDING', 'reopen'),
  t('REJECTED', 'DECISION_PENDING', 'reopen'),
  t('REJECTED', 'PURGED', 'purge'),
]);

/** True when `from → to` is in the table; with `cause`, only for that exact cause. */
export function canTransition(from: AssetState, to: AssetState, cause?: TransitionCause): boolean {
  return ASSET_TRANSITIONS.some(
    (tr) => tr.from === from && tr.to === to && (cause === undefined || tr.cause === cause),
  );
}

/** States reachable from `from` (any cause), in table order without duplicates. */
export function allowedTargets(from: AssetState): AssetState[] {
  return [...new Set(ASSET_TRANSITIONS.filter((tr) => tr.from === from).map((tr) => tr.to))];
}

export function assertTransition(from: AssetState, to: AssetState, cause?: TransitionCause): void {
  if (canTransition(from, to, cause)) return;
  const allowed = allowedTargets(from);
  const because = cause ? ` by ${cause}` : '';
  const hint =
    from === 'PURGED'
      ? 'PURGED is terminal'
      : allowed.length
        ? `from ${from} the asset can go to ${allowed.join(', ')}`
        : `${from} has no outgoing transition`;
  throw new StateConflictError(`asset cannot go from ${from} to ${to}${because}: ${hint}`, {
    from,
    to,
    ...(cause ? { cause } : {}),
    allowed_targets: allowed,
  });
}

/**
 * The cause a human `PATCH /assets/{uuid} {state}` stands for, or undefined when that PATCH must
 * be refused. ARCHIVED/REJECTED are reached only through the mover (files first, state last), so
 * a PATCH to them is refused here; the server routes "apply" through `applyDecision` instead.
 */
export function humanPatchCause(from: AssetState, to: AssetState): TransitionCause | undefined {
  for (const cause of ['decision', 'decision_cancelled', 'reopen'] as const) {
    if (canTransition(from, to, cause)) return cause;
  }
  return undefined;
}

export function isAssetState(value: string): value is AssetState {
  return (ASSET_STATES as readonly string[]).includes(value);
}
