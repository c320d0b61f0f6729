// Planning a decision's move (docs/asset-states.md), without touching anything: where DECIDED_KEEP
// and DECIDED_REJECT assets go, which sidecars follow their parent, and which free name a
// collision gets. asset-mover.ts applies these plans; the review page's dry run shows them.
import path from 'node:path';
import type { AssetState } from '@retaia/protocol';
import { assertTransition } from './asset-transitions.js';
import { findFreeStem, splitFileName } from './collision-name.js';
import { MoveDomainError, StateConflictError, StorageMismatchError } from './move-errors.js';
import type { FileMove, MovableAsset } from './move-journal.js';
import {
  assertOwnFile,
  assertStorageRelative,
  joinRelative,
  pathExists,
  resolveFolderInsideRoot,
  resolveInsideRoot,
  type StorageLayout,
} from './storage-root.js';

export type Decision = 'KEEP' | 'REJECT';

export interface PlannedFile extends FileMove {
  /** True when the name differs from the source name because of a collision. */
  renamed: boolean;
}

export interface AssetMovePlan {
  asset_uuid: string;
  decision: Decision;
  from_state: AssetState;
  to_state: AssetState;
  target_dir: string;
  /** Empty when the files already sit in the decision's folder (`in_place`). */
  files: PlannedFile[];
  /** True when the asset is already under the decision's top folder: nothing moves. */
  in_place: boolean;
  /** 0 = no collision, else the collision attempt (1..10) that found a free name. */
  collision_attempt: number;
  /** Stems found taken in the target folder before the chosen one. */
  collisions: string[];
  /** Sidecars the record lists that no longer exist: not moved, dropped from the asset's paths. */
  missing_sidecars: string[];
}

export interface PlanError {
  asset_uuid: string;
  code: string;
  message: string;
}

export interface MoveBatchPlan {
  moves: AssetMovePlan[];
  errors: PlanError[];
  /** Number of assets whose files will be renamed because of a collision. */
  collision_count: number;
}

const DECISION_TARGETS: Partial<
  Record<AssetState, { decision: Decision; to: AssetState; top: 'archive' | 'rejects' }>
> = {
  DECIDED_KEEP: { decision: 'KEEP', to: 'ARCHIVED', top: 'archive' },
  DECIDED_REJECT: { decision: 'REJECT', to: 'REJECTED', top: 'rejects' },
};

/** Sidecar suffix relative to the parent stem: `clip.srt` with stem `clip` → `.srt`. */
function sidecarSuffix(sidecarName: string, parentStem: string): string {
  if (sidecarName.startsWith(parentStem) && sidecarName.length > parentStem.length) {
    return sidecarName.slice(parentStem.length);
  }
  return path.posix.extname(sidecarName);
}

/**
 * Plans one asset's move against the current filesystem. `reserved` holds target paths already
 * claimed by earlier plans of the same batch, so two assets never get the same name.
 */
export async function planAssetMove(
  asset: MovableAsset,
  storage: StorageLayout,
  reserved: Set<string> = new Set(),
): Promise<AssetMovePlan> {
  const target = DECISION_TARGETS[asset.state];
  if (!target) {
    throw new StateConflictError(
      `asset ${asset.uuid} is ${asset.state}; only DECIDED_KEEP or DECIDED_REJECT assets are moved`,
      { asset_uuid: asset.uuid, state: asset.state },
    );
  }
  assertTransition(asset.state, target.to, 'move_applied');
  const original = assertStorageRelative(asset.paths.original_relative);
  const { inbox, archive, rejects } = storage.paths;
  const currentTop = [inbox, archive, rejects].find((top) => original.startsWith(`${top}/`));
  if (currentTop === undefined) {
    throw new StorageMismatchError(
      `asset ${asset.uuid} is at ${original}, not under ${inbox}/, ${archive}/ or ${rejects}/; it cannot be moved`,
      { asset_uuid: asset.uuid, original_relative: original },
    );
  }
  const sub = original.slice(currentTop.length + 1);
  const sourceDir = path.posix.dirname(original);
  const targetDir = joinRelative(storage.paths[target.top], path.posix.dirname(sub));
  const { stem, ext } = splitFileName(path.posix.basename(original));

  const sidecars = asset.paths.sidecars_relative.map((rel) => {
    assertStorageRelative(rel);
    if (path.posix.dirname(rel) !== sourceDir) {
      throw new StorageMismatchError(
        `sidecar ${rel} of asset ${asset.uuid} is not in the folder of its parent ${original}`,
        { asset_uuid: asset.uuid, sidecar: rel },
      );
    }
    return { rel, suffix: sidecarSuffix(path.posix.basename(rel), stem) };
  });

  // Source files must be where the record says: a missing original means the record is stale.
  // Each must be a real file of its own: a symlink is refused, never moved through.
  if (!(await assertOwnFile(await resolveInsideRoot(storage.root, original), original))) {
    throw new StorageMismatchError(`original ${original} of asset ${asset.uuid} is missing`, {
      asset_uuid: asset.uuid,
      original_relative: original,
    });
  }
  // A sidecar deleted since the last scan is left out of the plan (and of the asset's paths)
  // rather than failing the move half-way: the dry run then shows exactly what will move.
  const present: typeof sidecars = [];
  const missingSidecars: string[] = [];
  for (const s of sidecars) {
    if (await assertOwnFile(await resolveInsideRoot(storage.root, s.rel), s.rel)) present.push(s);
    else missingSidecars.push(s.rel);
  }

  const base = {
    asset_uuid: asset.uuid,
    decision: target.decision,
    from_state: asset.state,
    to_state: target.to,
    target_dir: targetDir,
    missing_sidecars: missingSidecars,
  };
  if (currentTop === storage.paths[target.top]) {
    // Re-decided to the folder it already sits in: only the state transition remains.
    return { ...base, files: [], in_place: true, collision_attempt: 0, collisions: [] };
  }

  const targetDirAbs = await resolveFolderInsideRoot(storage.root, targetDir);
  const namesFor = (candidate: string) => [
    candidate + ext,
    ...present.map((s) => candidate + s.suffix),
  ];
  const free = await findFreeStem({
    assetUuid: asset.uuid,
    targetDir,
    stem,
    suffixes: [ext, ...present.map((s) => s.suffix)],
    isTaken: async (candidate) => {
      for (const name of namesFor(candidate)) {
        if (reserved.has(joinRelative(targetDir, name))) return true;
        if (await pathExists(path.join(targetDirAbs, name))) return true;
      }
      return false;
    },
  });

  const renamed = free.attempt > 0;
  const files: PlannedFile[] = [
    { from: original, to: joinRelative(targetDir, free.stem + ext), role: 'original', renamed },
    ...present.map((s): PlannedFile => ({
      from: s.rel,
      to: joinRelative(targetDir, free.stem + s.suffix),
      role: 'sidecar',
      renamed,
    })),
  ];
  for (const f of files) reserved.add(f.to);
  return {
    ...base,
    files,
    in_place: false,
    collision_attempt: free.attempt,
    collisions: free.taken,
  };
}

/** Dry run: what applying these assets' decisions would move, and which names collide. */
export async function planMoves(
  assets: MovableAsset[],
  storage: StorageLayout,
): Promise<MoveBatchPlan> {
  const reserved = new Set<string>();
  const plan: MoveBatchPlan = { moves: [], errors: [], collision_count: 0 };
  for (const asset of assets) {
    try {
      const move = await planAssetMove(asset, storage, reserved);
      plan.moves.push(move);
      if (move.collision_attempt > 0) plan.collision_count++;
    } catch (err) {
      plan.errors.push(toPlanError(asset.uuid, err));
    }
  }
  return plan;
}

export function toPlanError(assetUuid: string, err: unknown): PlanError {
  if (err instanceof MoveDomainError) {
    return { asset_uuid: assetUuid, code: err.code, message: err.message };
  }
  return { asset_uuid: assetUuid, code: 'TEMPORARY_UNAVAILABLE', message: String(err) };
}
