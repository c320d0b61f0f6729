// POST /ops/ingest/requeue (docs/operations.md#ingest): run an asset's processing again. The target
// is an asset uuid, or a storage path naming an asset's original (or, with include_sidecars,
// one of its sidecars). Requeueing is the reprocess the review page offers — derived files and
// facts dropped, jobs planned afresh, the state machine's rules unchanged — so an asset whose
// state forbids it answers 409 STATE_CONFLICT like a reprocess would. An asset that still has
// pending or claimed jobs is already queued: those jobs are reported as deduplicated and nothing
// changes.
import { rm } from 'node:fs/promises';
import { relativePathProblem } from '@retaia/protocol';
import { CoreError, notFound } from '../errors/core-error.js';
import { resolveInsideRoot } from '../moves/index.js';
import type { UserRecord } from '../store/records.js';
import type { CoreContext } from './core-context.js';

export interface RequeueRequest {
  asset_uuid?: string;
  path?: string;
  include_sidecars: boolean;
  include_derived: boolean;
  reason: string;
}

export interface RequeueResult {
  accepted: true;
  target: { asset_uuid?: string; path?: string };
  requeued_assets: number;
  requeued_jobs: number;
  deduplicated_jobs: number;
}

const badRequest = (message: string, details?: Record<string, unknown>) =>
  new CoreError('VALIDATION_FAILED', 400, message, false, details);

async function targetUuid(ctx: CoreContext, req: RequeueRequest): Promise<string> {
  if (req.path !== undefined) {
    const problem = relativePathProblem(req.path);
    if (problem) throw badRequest(`path: ${problem}`, { parameter: 'path' });
    const found = await ctx.store.ops.assetUuidsAtPath(req.path, req.include_sidecars);
    if (found.length === 0) {
      throw notFound('asset at path', req.path);
    }
    if (req.asset_uuid !== undefined && !found.includes(req.asset_uuid)) {
      throw badRequest(
        `asset ${req.asset_uuid} is not the asset at ${req.path}; give one or the other`,
      );
    }
    return found[0]!;
  }
  if (!(await ctx.store.getAsset(req.asset_uuid!))) throw notFound('asset', req.asset_uuid!);
  return req.asset_uuid!;
}

export async function requeueIngest(
  ctx: CoreContext,
  user: UserRecord,
  req: RequeueRequest,
): Promise<RequeueResult> {
  if (!req.include_derived) {
    throw badRequest(
      'include_derived=false is not supported: Core re-runs an asset’s processing as a whole (facts and derived files together); omit it or send true',
      { parameter: 'include_derived' },
    );
  }
  const uuid = await targetUuid(ctx, req);
  const target = {
    ...(req.asset_uuid !== undefined ? { asset_uuid: req.asset_uuid } : {}),
    ...(req.path !== undefined ? { path: req.path } : {}),
  };
  const active = (await ctx.store.listAssetJobs(uuid)).filter(
    (j) => j.status === 'pending' || j.status === 'claimed',
  ).length;
  if (active > 0) {
    return {
      accepted: true,
      target,
      requeued_assets: 0,
      requeued_jobs: 0,
      deduplicated_jobs: active,
    };
  }
  const asset = (await ctx.store.getAsset(uuid))!;
  const { droppedDerived } = await ctx.store.reprocessAsset({
    uuid,
    expectedRevision: asset.revision,
    nowMs: ctx.clock(),
    by: user.email,
    flags: ctx.flags,
  });
  ctx.logger.info({ asset_uuid: uuid, reason: req.reason, by: user.email }, 'ingest requeued');
  // The records went in the committed transaction; the files are only garbage now.
  for (const rel of droppedDerived) {
    await rm(await resolveInsideRoot(ctx.options.storageRoot, rel), { force: true }).catch(
      (err: unknown) => ctx.logger.warn({ err, rel }, 'could not delete a dropped derived file'),
    );
  }
  const requeued = (await ctx.store.listAssetJobs(uuid)).filter((j) => j.status === 'pending');
  return {
    accepted: true,
    target,
    requeued_assets: 1,
    requeued_jobs: requeued.length,
    deduplicated_jobs: 0,
  };
}
