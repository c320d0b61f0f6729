// Applying decisions on the filesystem (docs/asset-states.md): DECIDED_KEEP moves INBOX/<sub> to
// ARCHIVE/<sub>, DECIDED_REJECT to REJECTS/<sub>; the parent file and its sidecars move together
// and share the final stem. A reopened asset decided again starts from ARCHIVE/<sub> or
// REJECTS/<sub>: it moves to the other top folder (same <sub>) when the decision changed, and
// stays in place (an operation with no file, only the state transition) when the decision
// matches its folder. Sequence per asset: lock → journal PLANNED → move files → update paths +
// audit → release lock → publish state. Each step is journaled so `recoverMoves` can finish (or roll
// back) an operation interrupted by a crash; a state is published only after the filesystem was
// checked to show it. Where each file goes is planned by move-plan.ts.
import { randomUUID } from 'node:crypto';
import { link, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { AssetState } from '@retaia/protocol';
import { planAssetMove, toPlanError } from './move-plan.js';
import { AssetLockedError, StateConflictError, StorageMismatchError } from './move-errors.js';
import {
  ASSET_LOCK_TTL_MS,
  type FileMove,
  type MoveOperation,
  type OperationStep,
} from './move-journal.js';
import {
  assertOwnFile,
  ensureDirInsideRoot,
  lstatOrUndefined,
  pathExists,
  resolveInsideRoot,
} from './storage-root.js';
import { InjectedCrashError, type MoveContext, type MoveHookPoint } from './move-context.js';

// The moves domain's callers (tests, the review page's fake) reach planning and the context here.
export * from './move-context.js';
export * from './move-plan.js';

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
      if (await pathExists(to)) {
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
