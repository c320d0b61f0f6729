// Purge of a REJECTED asset (docs/asset-states.md): deletes the original, its sidecars and the derived folder
// `<root>/.derived/{uuid}/`, keeps a minimal audit (what was deleted, how many bytes), then
// publishes PURGED. Idempotent: purging a PURGED asset answers ALREADY_PURGED without touching
// anything. Same journal discipline as moves: lock → PLANNED → delete → audit → release → state.
import { randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { AssetState } from '@retaia/protocol';
import { assertTransition } from './asset-transitions.js';
import { InjectedCrashError, type MoveContext, type MoveHookPoint } from './move-context.js';
import { AssetLockedError, StateConflictError, StoragePathError } from './move-errors.js';
import {
  ASSET_LOCK_TTL_MS,
  type MovableAsset,
  type OperationStep,
  type PurgeOperation,
  type PurgeTarget,
} from './move-journal.js';
import {
  assertOwnFile,
  assertStorageRelative,
  derivedDirRelative,
  lstatOrUndefined,
  resolveFolderInsideRoot,
  resolveInsideRoot,
} from './storage-root.js';

export interface PurgePreviewFile {
  relative_path: string;
  role: 'original' | 'sidecar' | 'derived';
  exists: boolean;
  size_bytes: number;
}

export interface PurgePreview {
  asset_uuid: string;
  state: AssetState;
  /** False when the asset is not REJECTED (the purge would answer 409 STATE_CONFLICT). */
  purgeable: boolean;
  reason?: string;
  files: PurgePreviewFile[];
  total_bytes: number;
}

export interface PurgeResult {
  asset_uuid: string;
  status: 'PURGED' | 'ALREADY_PURGED';
  operation_id?: string;
  deleted: string[];
  deleted_bytes: number;
}

function purgeTargets(asset: MovableAsset): PurgeTarget[] {
  return [
    { relative_path: assertStorageRelative(asset.paths.original_relative), role: 'original' },
    ...asset.paths.sidecars_relative.map((rel): PurgeTarget => ({
      relative_path: assertStorageRelative(rel),
      role: 'sidecar',
    })),
    { relative_path: derivedDirRelative(asset.uuid), role: 'derived_dir' },
  ];
}

async function sizeOf(abs: string): Promise<{ exists: boolean; size: number }> {
  const st = await lstatOrUndefined(abs);
  return { exists: st !== undefined, size: st?.isFile() ? st.size : 0 };
}

/** Files under a directory (recursive, symlinks listed as entries, never followed). */
async function listFiles(root: string, relDir: string): Promise<PurgePreviewFile[]> {
  const abs = await resolveFolderInsideRoot(root, relDir);
  let entries;
  try {
    entries = await readdir(abs, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: PurgePreviewFile[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = path.posix.join(relDir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(root, rel)));
    else {
      const { size } = await sizeOf(path.join(abs, e.name));
      out.push({ relative_path: rel, role: 'derived', exists: true, size_bytes: size });
    }
  }
  return out;
}

/**
 * Checks that every target is the asset's own entry: the original and sidecars real files (or
 * gone), the derived folder a real folder (or gone). Throws StoragePathError otherwise.
 */
async function assertOwnTargets(root: string, targets: PurgeTarget[]): Promise<void> {
  for (const t of targets) {
    if (t.role === 'derived_dir') await resolveFolderInsideRoot(root, t.relative_path);
    else await assertOwnFile(await resolveInsideRoot(root, t.relative_path), t.relative_path);
  }
}

/** What a purge would delete, without deleting anything. */
export async function previewPurge(
  asset: MovableAsset,
  storage: { root: string },
): Promise<PurgePreview> {
  let refusal: string | undefined;
  try {
    await assertOwnTargets(storage.root, purgeTargets(asset));
  } catch (err) {
    if (!(err instanceof StoragePathError)) throw err;
    refusal = err.message;
  }
  const files: PurgePreviewFile[] = [];
  for (const t of purgeTargets(asset)) {
    if (t.role === 'derived_dir') {
      if (!refusal) files.push(...(await listFiles(storage.root, t.relative_path)));
      continue;
    }
    const { exists, size } = await sizeOf(await resolveInsideRoot(storage.root, t.relative_path));
    files.push({ relative_path: t.relative_path, role: t.role, exists, size_bytes: size });
  }
  const reason =
    asset.state !== 'REJECTED'
      ? `only REJECTED assets can be purged (asset is ${asset.state})`
      : refusal && `the purge is refused: ${refusal}`;
  return {
    asset_uuid: asset.uuid,
    state: asset.state,
    purgeable: !reason,
    ...(reason ? { reason } : {}),
    files,
    total_bytes: files.reduce((n, f) => n + f.size_bytes, 0),
  };
}

class PurgeRunner {
  readonly now: () => Date;
  constructor(readonly ctx: MoveContext) {
    this.now = ctx.now ?? (() => new Date());
  }

  async hook(point: MoveHookPoint, op: PurgeOperation) {
    if (!this.ctx.hooks?.at) return;
    try {
      await this.ctx.hooks.at(point, { asset_uuid: op.asset_uuid, operation_id: op.operation_id });
    } catch (err) {
      throw new InjectedCrashError(point, err);
    }
  }

  async save(op: PurgeOperation, step: OperationStep) {
    op.step = step;
    op.updated_at = this.now().toISOString();
    await this.ctx.journal.saveEntry(op);
  }

  async stillPresent(op: PurgeOperation): Promise<string[]> {
    const present: string[] = [];
    for (const t of op.targets) {
      const abs = await resolveInsideRoot(this.ctx.storage.root, t.relative_path);
      if ((await sizeOf(abs)).exists) present.push(t.relative_path);
    }
    return present;
  }

  /** Runs the purge from whatever step `op` is at; every step is idempotent. */
  async run(op: PurgeOperation, deletedBytes: number): Promise<void> {
    const { journal, assets, storage } = this.ctx;
    if (op.step === 'PLANNED') {
      // Checked again right before deleting; rm acts on the entry itself (a link would be
      // unlinked, never followed) and is a no-op on a missing path, so a replay is harmless.
      await assertOwnTargets(storage.root, op.targets);
      for (const t of op.targets) {
        const abs = await resolveInsideRoot(storage.root, t.relative_path);
        await rm(abs, { recursive: t.role === 'derived_dir', force: true });
      }
      await this.save(op, 'FILES_APPLIED');
      await this.hook('files_applied', op);
    }
    if (op.step === 'FILES_APPLIED') {
      await journal.appendAudit({
        asset_uuid: op.asset_uuid,
        operation_id: op.operation_id,
        action: 'PURGED',
        at: this.now().toISOString(),
        details: { deleted: op.targets.map((t) => t.relative_path), deleted_bytes: deletedBytes },
      });
      await this.save(op, 'RECORDED');
      await this.hook('recorded', op);
    }
    if (op.step === 'RECORDED') {
      await journal.releaseLock(op.asset_uuid, 'asset_purge_lock', op.lock_owner);
      await this.save(op, 'LOCK_RELEASED');
      await this.hook('lock_released', op);
    }
    if (op.step === 'LOCK_RELEASED') {
      const left = await this.stillPresent(op);
      if (left.length) {
        throw new StateConflictError(
          `purge of ${op.asset_uuid} left files behind (${left.join(', ')}); PURGED not published`,
          { asset_uuid: op.asset_uuid, left },
        );
      }
      const current = await assets.getAsset(op.asset_uuid);
      if (current?.state !== 'PURGED') {
        await assets.transitionState(op.asset_uuid, op.from_state, 'PURGED', 'purge');
      }
      await this.save(op, 'DONE');
    }
  }
}

/**
 * Purges one asset. PURGED → ALREADY_PURGED (no-op); any state other than REJECTED →
 * StateConflictError; a live move/purge lock of someone else → AssetLockedError.
 */
export async function purgeAsset(assetUuid: string, ctx: MoveContext): Promise<PurgeResult> {
  const asset = await ctx.assets.getAsset(assetUuid);
  if (!asset) throw new StateConflictError(`unknown asset ${assetUuid}`, { asset_uuid: assetUuid });
  if (asset.state === 'PURGED') {
    return { asset_uuid: assetUuid, status: 'ALREADY_PURGED', deleted: [], deleted_bytes: 0 };
  }
  assertTransition(asset.state, 'PURGED', 'purge');
  const runner = new PurgeRunner(ctx);
  const owner = ctx.owner ?? `core-${process.pid}-${randomUUID()}`;
  const locked = await ctx.journal.tryAcquireLock({
    asset_uuid: assetUuid,
    kind: 'asset_purge_lock',
    owner,
    ttl_ms: ctx.lockTtlMs ?? ASSET_LOCK_TTL_MS,
    now: runner.now(),
  });
  if (!locked) {
    throw new AssetLockedError(`asset ${assetUuid} is locked by a move or purge; retry later`, {
      asset_uuid: assetUuid,
    });
  }
  const preview = await previewPurge(asset, ctx.storage).catch(async (err: unknown) => {
    await ctx.journal.releaseLock(assetUuid, 'asset_purge_lock', owner);
    throw err;
  });
  if (!preview.purgeable) {
    await ctx.journal.releaseLock(assetUuid, 'asset_purge_lock', owner);
    throw new StoragePathError(preview.reason!, { asset_uuid: assetUuid });
  }
  const at = runner.now().toISOString();
  const op: PurgeOperation = {
    kind: 'purge',
    operation_id: randomUUID(),
    asset_uuid: assetUuid,
    lock_owner: owner,
    from_state: asset.state,
    to_state: 'PURGED',
    step: 'PLANNED',
    created_at: at,
    updated_at: at,
    targets: purgeTargets(asset),
  };
  await ctx.journal.saveEntry(op);
  await runner.hook('planned', op);
  await runner.run(op, preview.total_bytes);
  ctx.logger?.info({ asset_uuid: assetUuid, operation_id: op.operation_id }, 'asset purged');
  return {
    asset_uuid: assetUuid,
    status: 'PURGED',
    operation_id: op.operation_id,
    deleted: preview.files.filter((f) => f.exists).map((f) => f.relative_path),
    deleted_bytes: preview.total_bytes,
  };
}

/** Finishes purges interrupted by a crash (deletes are replayed; PURGED only once files are gone). */
export async function recoverPurges(
  ctx: MoveContext,
): Promise<
  { operation_id: string; asset_uuid: string; outcome: 'COMPLETED' | 'FAILED'; detail?: string }[]
> {
  const runner = new PurgeRunner(ctx);
  const out = [];
  for (const entry of await ctx.journal.unfinishedEntries()) {
    if (entry.kind !== 'purge') continue;
    const ids = { operation_id: entry.operation_id, asset_uuid: entry.asset_uuid };
    try {
      if (entry.step === 'PLANNED' || entry.step === 'FILES_APPLIED') {
        const relocked = await ctx.journal.tryAcquireLock({
          asset_uuid: entry.asset_uuid,
          kind: 'asset_purge_lock',
          owner: entry.lock_owner,
          ttl_ms: ctx.lockTtlMs ?? ASSET_LOCK_TTL_MS,
          now: runner.now(),
        });
        if (!relocked)
          throw new AssetLockedError(`asset ${entry.asset_uuid} is locked by another owner`);
      }
      await runner.run(entry, 0);
      out.push({ ...ids, outcome: 'COMPLETED' as const });
    } catch (err) {
      if (err instanceof InjectedCrashError) throw err;
      out.push({ ...ids, outcome: 'FAILED' as const, detail: (err as Error).message });
    }
  }
  return out;
}
