// Applying decisions on the filesystem (docs/asset-states.md): DECIDED_KEEP moves INBOX/<sub> to ARCHIVE/<sub>,
// DECIDED_REJECT to REJECTS/<sub>; the parent file and its sidecars move together and share the
// final stem. A reopened asset decided again starts from ARCHIVE/<sub> or REJECTS/<sub>: it moves to
// the other top folder (same <sub>) when the decision changed, and stays in place (an operation
// with no file, only the state transition) when the decision matches its folder. Sequence per asset: lock → journal PLANNED → move files → update paths + audit →
// release lock → publish state. Each step is journaled so `recoverMoves` can finish (or roll
// back) an operation interrupted by a crash; a state is published only after the filesystem was
// checked to show it.
import { randomUUID } from 'node:crypto';
import { link, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { AssetState } from '@retaia/protocol';
import { assertTransition } from './asset-transitions.js';
import { findFreeStem, splitFileName } from './collision-name.js';
import {
  AssetLockedError,
  MoveDomainError,
  StateConflictError,
  StorageMismatchError,
} from './move-errors.js';
import {
  ASSET_LOCK_TTL_MS,
  type AssetRecords,
  type FileMove,
  type MovableAsset,
  type MoveJournal,
  type MoveOperation,
  type OperationStep,
} from './move-journal.js';
import {
  assertOwnFile,
  assertStorageRelative,
  ensureDirInsideRoot,
  joinRelative,
  lstatOrUndefined,
  resolveFolderInsideRoot,
  resolveInsideRoot,
  type StorageLayout,
} from './storage-root.js';

/** Points between steps where a test hook may inject a crash (see `MoveContext.hooks`). */
export type MoveHookPoint =
  | 'lock_acquired'
  | 'planned'
  | 'file_linked'
  | 'file_moved'
  | 'files_applied'
  | 'recorded'
  | 'lock_released';

export interface MoveLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface MoveContext {
  storage: StorageLayout;
  journal: MoveJournal;
  assets: AssetRecords;
  /** Lock owner of this process; defaults to a random id per context. */
  owner?: string;
  now?: () => Date;
  lockTtlMs?: number;
  logger?: MoveLogger;
  /**
   * Fault injection for tests. An error thrown by a hook aborts the operation exactly like a
   * process crash at that point: no cleanup, the journal stays as written, recovery resumes it.
   */
  hooks?: {
    at?(point: MoveHookPoint, info: { asset_uuid: string; operation_id: string }): unknown;
  };
}

/** Wraps an error thrown by a test hook so the operation skips its cleanup (simulated crash). */
export class InjectedCrashError extends Error {
  constructor(
    readonly point: MoveHookPoint,
    readonly original: unknown,
  ) {
    super(`injected crash at ${point}`);
    this.name = 'InjectedCrashError';
  }
}

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

const exists = async (abs: string) => (await lstatOrUndefined(abs)) !== undefined;

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
        if (await exists(path.join(targetDirAbs, name))) return true;
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

function toPlanError(assetUuid: string, err: unknown): PlanError {
  if (err instanceof MoveDomainError) {
    return { asset_uuid: assetUuid, code: err.code, message: err.message };
  }
  return { asset_uuid: assetUuid, code: 'TEMPORARY_UNAVAILABLE', message: String(err) };
}

/** Internal runtime shared by apply and recovery. */
class MoveRunner {
  readonly owner: string;
  readonly now: () => Date;
  readonly ttl: number;

  constructor(readonly ctx: MoveContext) {
    this.owner = ctx.owner ?? `core-${process.pid}-${randomUUID()}`;
    this.now = ctx.now ?? (() => new Date());
    this.ttl = ctx.lockTtlMs ?? ASSET_LOCK_TTL_MS;
  }

  async hook(point: MoveHookPoint, op: { asset_uuid: string; operation_id: string }) {
    if (!this.ctx.hooks?.at) return;
    try {
      await this.ctx.hooks.at(point, { asset_uuid: op.asset_uuid, operation_id: op.operation_id });
    } catch (err) {
      throw new InjectedCrashError(point, err);
    }
  }

  async save(op: MoveOperation, step: OperationStep, failure?: string) {
    op.step = step;
    op.updated_at = this.now().toISOString();
    if (failure) op.failure = failure;
    await this.ctx.journal.saveEntry(op);
  }

  abs(rel: string) {
    return resolveInsideRoot(this.ctx.storage.root, rel);
  }

  /**
   * Moves one file without ever overwriting: link(2) fails with EEXIST where rename(2) would
   * silently replace. Filesystems without hard links fall back to check-then-rename.
   */
  async moveFile(op: MoveOperation, file: FileMove) {
    await ensureDirInsideRoot(this.ctx.storage.root, path.posix.dirname(file.to));
    const from = await this.abs(file.from);
    const to = await this.abs(file.to);
    // Re-checked at the last moment: a file swapped for a link since the plan is not moved.
    await assertOwnFile(from, file.from);
    try {
      await link(from, to);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        throw new StorageMismatchError(
          `target ${file.to} appeared while moving; nothing overwritten`,
          {
            target: file.to,
          },
        );
      }
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') {
        throw err;
      }
      if (await exists(to)) {
        throw new StorageMismatchError(
          `target ${file.to} appeared while moving; nothing overwritten`,
          {
            target: file.to,
          },
        );
      }
      await rename(from, to);
      return;
    }
    await this.hook('file_linked', op);
    await unlink(from);
  }

  /** Where one file of an operation stands on disk. */
  async inspect(
    file: FileMove,
  ): Promise<'moved' | 'pending' | 'half_linked' | 'conflict' | 'missing'> {
    const from = await this.abs(file.from);
    const to = await this.abs(file.to);
    const [a, b] = await Promise.all([lstatOrUndefined(from), lstatOrUndefined(to)]);
    if (!a && b) return 'moved';
    if (a && !b) return 'pending';
    if (a && b) return a.ino === b.ino && a.dev === b.dev ? 'half_linked' : 'conflict';
    return 'missing';
  }

  async allAtTarget(op: MoveOperation): Promise<boolean> {
    for (const f of op.files) if ((await this.inspect(f)) !== 'moved') return false;
    return true;
  }

  async acquire(assetUuid: string, owner: string) {
    return this.ctx.journal.tryAcquireLock({
      asset_uuid: assetUuid,
      kind: 'asset_move_lock',
      owner,
      ttl_ms: this.ttl,
      now: this.now(),
    });
  }

  /** Steps after the files are in place: record, release, publish (each resumable). */
  async finish(op: MoveOperation) {
    const { journal, assets } = this.ctx;
    if (op.step === 'FILES_APPLIED') {
      if (!(await this.allAtTarget(op))) {
        return this.fail(op, 'files are not at their targets after the move; state not published');
      }
      // An in-place apply (no file) keeps its paths: nothing to add to `path_history`.
      if (op.files.length > 0) await assets.updatePaths(op.asset_uuid, op.new_paths);
      await journal.appendAudit({
        asset_uuid: op.asset_uuid,
        operation_id: op.operation_id,
        action: 'MOVE_APPLIED',
        at: this.now().toISOString(),
        details: { files: op.files, from_state: op.from_state, to_state: op.to_state },
      });
      await this.save(op, 'RECORDED');
      await this.hook('recorded', op);
    }
    if (op.step === 'RECORDED') {
      await journal.releaseLock(op.asset_uuid, 'asset_move_lock', op.lock_owner);
      await this.save(op, 'LOCK_RELEASED');
      await this.hook('lock_released', op);
    }
    if (op.step === 'LOCK_RELEASED') {
      if (!(await this.allAtTarget(op))) {
        return this.fail(op, 'files are no longer at their targets; state not published');
      }
      const current = await assets.getAsset(op.asset_uuid);
      if (current?.state !== op.to_state) {
        await assets.transitionState(op.asset_uuid, op.from_state, op.to_state, 'move_applied');
      }
      await this.save(op, 'DONE');
    }
    return op;
  }

  async fail(op: MoveOperation, reason: string) {
    await this.ctx.journal.appendAudit({
      asset_uuid: op.asset_uuid,
      operation_id: op.operation_id,
      action: 'MOVE_FAILED',
      at: this.now().toISOString(),
      details: { reason, files: op.files },
    });
    await this.ctx.journal.releaseLock(op.asset_uuid, 'asset_move_lock', op.lock_owner);
    await this.save(op, 'FAILED', reason);
    this.ctx.logger?.warn(
      { asset_uuid: op.asset_uuid, operation_id: op.operation_id, reason },
      'move failed',
    );
    return op;
  }

  /** Puts already-moved files back at their sources (reverse order), never overwriting. */
  async rollBack(op: MoveOperation) {
    for (const f of [...op.files].reverse()) {
      const state = await this.inspect(f);
      if (state === 'half_linked') await unlink(await this.abs(f.to));
      if (state === 'moved') await this.moveFile(op, { from: f.to, to: f.from, role: f.role });
    }
    await this.ctx.journal.appendAudit({
      asset_uuid: op.asset_uuid,
      operation_id: op.operation_id,
      action: 'MOVE_ROLLED_BACK',
      at: this.now().toISOString(),
      details: { files: op.files },
    });
  }
}

export interface AppliedMove {
  asset_uuid: string;
  operation_id: string;
  status: 'MOVED' | 'FAILED';
  to_state: AssetState;
  files: FileMove[];
  failure?: string;
}

/**
 * Applies one asset's decision. Throws StateConflictError (wrong state), AssetLockedError,
 * NameCollisionExhaustedError or StorageMismatchError before anything moved; a filesystem error
 * during the move rolls the moved files back, audits MOVE_FAILED and rethrows.
 */
export async function applyDecision(assetUuid: string, ctx: MoveContext): Promise<AppliedMove> {
  const run = new MoveRunner(ctx);
  const asset = await ctx.assets.getAsset(assetUuid);
  if (!asset) {
    throw new StateConflictError(`unknown asset ${assetUuid}`, { asset_uuid: assetUuid });
  }
  if (!(await run.acquire(assetUuid, run.owner))) {
    throw new AssetLockedError(
      `asset ${assetUuid} is locked by another move or purge; retry later`,
      {
        asset_uuid: assetUuid,
      },
    );
  }
  const ids = { asset_uuid: assetUuid, operation_id: randomUUID() };
  let op: MoveOperation;
  try {
    await run.hook('lock_acquired', ids);
    const plan = await planAssetMove(asset, ctx.storage);
    const at = run.now().toISOString();
    const original = plan.files.find((f) => f.role === 'original')?.to;
    op = {
      kind: 'move',
      ...ids,
      lock_owner: run.owner,
      from_state: plan.from_state,
      to_state: plan.to_state,
      step: 'PLANNED',
      created_at: at,
      updated_at: at,
      files: plan.files.map(({ from, to, role }) => ({ from, to, role })),
      new_paths: original
        ? {
            original_relative: original,
            sidecars_relative: plan.files.filter((f) => f.role === 'sidecar').map((f) => f.to),
          }
        : {
            original_relative: asset.paths.original_relative,
            sidecars_relative: asset.paths.sidecars_relative,
          },
    };
    await ctx.journal.saveEntry(op);
  } catch (err) {
    if (!(err instanceof InjectedCrashError)) {
      await ctx.journal.releaseLock(assetUuid, 'asset_move_lock', run.owner);
    }
    throw err;
  }

  try {
    await run.hook('planned', op);
    for (const file of op.files) {
      await run.moveFile(op, file);
      await run.hook('file_moved', op);
    }
    await run.save(op, 'FILES_APPLIED');
    await run.hook('files_applied', op);
  } catch (err) {
    if (err instanceof InjectedCrashError) throw err;
    await run.rollBack(op);
    await run.fail(op, `move failed and was rolled back: ${(err as Error).message}`);
    throw err;
  }
  await run.finish(op);
  ctx.logger?.info(
    { asset_uuid: assetUuid, operation_id: op.operation_id, to_state: op.to_state },
    'decision applied',
  );
  return summary(op);
}

function summary(op: MoveOperation): AppliedMove {
  return {
    asset_uuid: op.asset_uuid,
    operation_id: op.operation_id,
    status: op.step === 'DONE' ? 'MOVED' : 'FAILED',
    to_state: op.to_state,
    files: op.files,
    ...(op.failure ? { failure: op.failure } : {}),
  };
}

export interface BatchApplyResult {
  results: (
    AppliedMove | { asset_uuid: string; status: 'FAILED'; code: string; failure: string }
  )[];
  moved: number;
  failed: number;
}

/** Applies several decisions one asset at a time; one asset's failure does not stop the batch. */
export async function applyDecisions(
  assetUuids: string[],
  ctx: MoveContext,
): Promise<BatchApplyResult> {
  const out: BatchApplyResult = { results: [], moved: 0, failed: 0 };
  for (const uuid of assetUuids) {
    try {
      const r = await applyDecision(uuid, ctx);
      out.results.push(r);
      if (r.status === 'MOVED') out.moved++;
      else out.failed++;
    } catch (err) {
      if (err instanceof InjectedCrashError) throw err;
      const e = toPlanError(uuid, err);
      out.results.push({ asset_uuid: uuid, status: 'FAILED', code: e.code, failure: e.message });
      out.failed++;
    }
  }
  return out;
}

export interface RecoveryReport {
  operation_id: string;
  asset_uuid: string;
  outcome: 'COMPLETED' | 'ROLLED_BACK' | 'FAILED' | 'SKIPPED_LOCKED';
  detail?: string;
}

/**
 * Resumes every unfinished move of the journal (run at startup, before serving). PLANNED
 * operations roll forward when every file is either moved or still at its source, and roll back
 * when a file is missing or a foreign file took a target. Later steps only re-check the
 * filesystem and complete the bookkeeping.
 */
export async function recoverMoves(ctx: MoveContext): Promise<RecoveryReport[]> {
  const run = new MoveRunner(ctx);
  const reports: RecoveryReport[] = [];
  for (const entry of await ctx.journal.unfinishedEntries()) {
    if (entry.kind !== 'move') continue;
    const op = entry;
    const ids = { operation_id: op.operation_id, asset_uuid: op.asset_uuid };
    if (op.step === 'PLANNED' || op.step === 'FILES_APPLIED') {
      if (!(await run.acquire(op.asset_uuid, op.lock_owner))) {
        reports.push({ ...ids, outcome: 'SKIPPED_LOCKED' });
        continue;
      }
    }
    try {
      if (op.step === 'PLANNED') {
        const states = await Promise.all(op.files.map((f) => run.inspect(f)));
        if (states.some((s) => s === 'missing' || s === 'conflict')) {
          await run.rollBack(op);
          await run.fail(op, `recovery rolled back: file states ${states.join(', ')}`);
          reports.push({ ...ids, outcome: 'ROLLED_BACK', detail: states.join(',') });
          continue;
        }
        for (const [i, f] of op.files.entries()) {
          if (states[i] === 'half_linked') await unlink(await run.abs(f.from));
          if (states[i] === 'pending') await run.moveFile(op, f);
        }
        await run.save(op, 'FILES_APPLIED');
      }
      await run.finish(op);
      const done = op.step === 'DONE';
      reports.push({
        ...ids,
        outcome: done ? 'COMPLETED' : 'FAILED',
        ...(op.failure ? { detail: op.failure } : {}),
      });
    } catch (err) {
      if (err instanceof InjectedCrashError) throw err;
      await run.fail(op, `recovery failed: ${(err as Error).message}`);
      reports.push({ ...ids, outcome: 'FAILED', detail: (err as Error).message });
    }
  }
  return reports;
}
