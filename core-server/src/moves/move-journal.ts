// Ports the moves domain persists through. The server's SQLite store implements both (ideally
// each method in one transaction); `in-memory-move-journal.ts` implements them for tests.
//
// The journal is a write-ahead log: an operation is saved as PLANNED (with every file it will
// touch) before the first byte moves, and advanced step by step. `recoverMoves`/`recoverPurges`
// read unfinished entries at startup and finish or roll them back, so a crash never leaves a
// published state that the filesystem does not show.
import type { AssetState } from '@retaia/protocol';
import type { TransitionCause } from './asset-transitions.js';

export type AssetLockKind = 'asset_move_lock' | 'asset_purge_lock';

/** Default TTL of move and purge locks (docs/asset-states.md). */
export const ASSET_LOCK_TTL_MS = 300_000;

export interface AssetLockRequest {
  asset_uuid: string;
  kind: AssetLockKind;
  owner: string;
  ttl_ms: number;
  now: Date;
}

/**
 * Operation steps, in order. `FILES_APPLIED`: every file moved/deleted. `RECORDED`: asset paths +
 * audit written. `LOCK_RELEASED`: lock dropped, state not yet published. `DONE`/`FAILED` are final.
 */
export const OPERATION_STEPS = [
  'PLANNED',
  'FILES_APPLIED',
  'RECORDED',
  'LOCK_RELEASED',
  'DONE',
  'FAILED',
] as const;
export type OperationStep = (typeof OPERATION_STEPS)[number];

export interface FileMove {
  /** Storage-relative POSIX paths. */
  from: string;
  to: string;
  role: 'original' | 'sidecar';
}

export interface PurgeTarget {
  /** Storage-relative POSIX path. */
  relative_path: string;
  role: 'original' | 'sidecar' | 'derived_dir';
}

interface OperationBase {
  operation_id: string;
  asset_uuid: string;
  lock_owner: string;
  from_state: AssetState;
  to_state: AssetState;
  step: OperationStep;
  created_at: string;
  updated_at: string;
  /** Operator-facing reason when `step` is FAILED. */
  failure?: string;
}

export interface MoveOperation extends OperationBase {
  kind: 'move';
  files: FileMove[];
  new_paths: { original_relative: string; sidecars_relative: string[] };
}

export interface PurgeOperation extends OperationBase {
  kind: 'purge';
  targets: PurgeTarget[];
}

export type MoveJournalEntry = MoveOperation | PurgeOperation;

export type AuditAction =
  'MOVE_APPLIED' | 'MOVE_FAILED' | 'MOVE_ROLLED_BACK' | 'PURGED' | 'PURGE_FAILED';

export interface AssetAuditEvent {
  asset_uuid: string;
  operation_id: string;
  action: AuditAction;
  at: string;
  details: Record<string, unknown>;
}

export interface MoveJournal {
  /**
   * Takes or refreshes a lock. True when the asset holds no live lock (of either kind) of another
   * owner; re-entrant for the same owner (recovery reuses the crashed operation's owner).
   */
  tryAcquireLock(req: AssetLockRequest): Promise<boolean>;
  /** Drops the lock if `owner` holds it; no-op otherwise. */
  releaseLock(assetUuid: string, kind: AssetLockKind, owner: string): Promise<void>;
  /** Insert or replace by `operation_id`. */
  saveEntry(entry: MoveJournalEntry): Promise<void>;
  /** Entries whose step is neither DONE nor FAILED, oldest first. */
  unfinishedEntries(): Promise<MoveJournalEntry[]>;
  /** Must be idempotent per (operation_id, action): recovery may replay a step. */
  appendAudit(event: AssetAuditEvent): Promise<void>;
}

/** The slice of an asset record the moves domain reads. */
export interface MovableAsset {
  uuid: string;
  state: AssetState;
  paths: { storage_id: string; original_relative: string; sidecars_relative: string[] };
}

/** The moves domain's view of a stored asset record (any store backend builds it this way). */
export function toMovableAsset(
  asset: { uuid: string; state: AssetState; relative_path: string; sidecars: string[] },
  storageId: string,
): MovableAsset {
  return {
    uuid: asset.uuid,
    state: asset.state,
    paths: {
      storage_id: storageId,
      original_relative: asset.relative_path,
      sidecars_relative: asset.sidecars,
    },
  };
}

export interface AssetRecords {
  getAsset(uuid: string): Promise<MovableAsset | undefined>;
  /** Replaces the asset's paths (and appends the old original to its `path_history`). */
  updatePaths(
    uuid: string,
    paths: { original_relative: string; sidecars_relative: string[] },
  ): Promise<void>;
  /**
   * Compare-and-set of the state: throws `StateConflictError` when the current state is not
   * `from` (the caller validated `from → to` against the transition table).
   */
  transitionState(
    uuid: string,
    from: AssetState,
    to: AssetState,
    cause: TransitionCause,
  ): Promise<void>;
}
