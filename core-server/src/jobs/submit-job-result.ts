// Submit: validate the result against the job's domain, put the referenced uploads in their
// place under `.derived/<uuid>/` (hard links: the staged copy stays until the commit), complete
// the job in one transaction, then drop the staging and the files the new ones replace. The files
// are in place before the commit makes them (and DECISION_PENDING) visible, so a reviewer never
// sees an asset whose preview answers 404.
// The response is built from the completion itself (no re-read of the job or asset after it).
import { copyFile, link, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { kindsForJob } from '../domain/derived-kinds.js';
import { notFound, validationFailed } from '../errors/core-error.js';
import type { SubmitBody } from './job-result-schema.js';
import type { CoreContext } from '../server/core-context.js';
import type {
  CompleteJobInput,
  CompleteJobResult,
  CompleteOnceResult,
  IdempotentWrite,
  NonceUse,
  PublishedDerived,
} from '../store/core-store.js';
import type { AssetState } from '@retaia/protocol';
import {
  absoluteDerivedPath,
  assembledPath,
  assertUuid,
  derivedRelativePath,
} from '../uploads/upload-paths.js';

type DerivedPatch = Extract<SubmitBody['result'], { derived_patch: unknown }>['derived_patch'];

export async function submitJobResult(
  ctx: CoreContext,
  jobId: string,
  agentId: string,
  body: SubmitBody,
) {
  const root = ctx.options.storageRoot;
  // Only a derived submit needs the job and asset before the transaction (its manifest is
  // checked against the asset's media type and uploads); facts and transcript submits go
  // straight to completeJob, which finds the job (404) and checks the lease itself.
  const derived =
    'derived_patch' in body.result
      ? await checkDerivedManifest(ctx, jobId, agentId, body.job_type, body.result.derived_patch)
      : undefined;

  const placed: PublishedDerived[] = [];
  let result: CompleteJobResult;
  try {
    if (derived) await placeBeforeCommit(root, derived, placed);
    result = await ctx.store.completeJob(completionInput(ctx, jobId, agentId, body, derived));
  } catch (err) {
    await unplaceUnpublished(ctx, placed);
    throw err;
  }
  await afterCommit(root, derived, result);
  return submitAnswer(
    jobId,
    result,
    result.assetState ?? (await ctx.store.getAsset(result.job.asset_uuid))!.state,
  );
}

/**
 * A facts or transcript submit (no files to check or move) with its nonce and Idempotency-Key
 * written in the completion's own transaction, when the store can (one commit, not four).
 */
export async function submitInOneCommit(
  ctx: CoreContext,
  jobId: string,
  agentId: string,
  body: SubmitBody,
  nonce: NonceUse,
  idem: IdempotentWrite,
): Promise<CompleteOnceResult> {
  const out = await ctx.store.completeJobOnce!(
    completionInput(ctx, jobId, agentId, body, undefined),
    nonce,
    idem,
    (result) => submitAnswer(jobId, result, result.assetState!),
  );
  if (out.kind === 'completed') await afterCommit(ctx.options.storageRoot, undefined, out.result);
  return out;
}

function completionInput(
  ctx: CoreContext,
  jobId: string,
  agentId: string,
  body: SubmitBody,
  derived: PublishedDerived[] | undefined,
): CompleteJobInput {
  return {
    jobId,
    agentId,
    lockToken: body.lock_token,
    fencingToken: body.fencing_token,
    nowMs: ctx.clock(),
    jobType: body.job_type,
    facts: 'facts_patch' in body.result ? body.result.facts_patch : undefined,
    transcript: 'transcript_patch' in body.result ? body.result.transcript_patch : undefined,
    derived,
    flags: ctx.flags,
  };
}

function submitAnswer(jobId: string, result: CompleteJobResult, assetState: AssetState) {
  return {
    job_id: jobId,
    status: result.job.status,
    asset_uuid: result.job.asset_uuid,
    asset_state: assetState,
  };
}

/** Errors of a file system (or share) that cannot hard-link: the upload is copied instead. */
const NO_HARD_LINK = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);

/**
 * Links each upload into its published place, adding to `placed` the ones this call created. A
 * file system without hard links gets a copy (the staged file must survive a failed commit: the
 * agent retries its submit with the same upload).
 */
async function placeBeforeCommit(
  root: string,
  derived: PublishedDerived[],
  placed: PublishedDerived[],
): Promise<void> {
  for (const d of derived) {
    const target = absoluteDerivedPath(root, d.relative_path);
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await link(assembledPath(root, d.upload_id), target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue; // a concurrent or interrupted submit of the same upload
      if (!NO_HARD_LINK.has(code ?? '')) throw err;
      await copyFile(assembledPath(root, d.upload_id), target);
    }
    placed.push(d);
  }
}

/**
 * The commit failed: remove what this submit placed, unless the upload got published anyway
 * (a concurrent submit of the same upload committed first and its record points at the file).
 */
async function unplaceUnpublished(ctx: CoreContext, placed: PublishedDerived[]) {
  for (const d of placed) {
    const upload = await ctx.store.getUpload(d.upload_id).catch(() => undefined);
    if (upload?.status === 'PUBLISHED') continue;
    await rm(absoluteDerivedPath(ctx.options.storageRoot, d.relative_path), { force: true });
  }
}

/** After the commit: the staged copies go (publishUpload finds them in place), then the replaced files. */
async function afterCommit(
  root: string,
  derived: PublishedDerived[] | undefined,
  result: CompleteJobResult,
) {
  for (const d of derived ?? []) await publishUpload(root, d);
  for (const old of result.replacedFiles) {
    await rm(absoluteDerivedPath(root, old), { force: true });
  }
}

/** The uploads a derived submit publishes, each checked against the job's asset and agent. */
async function checkDerivedManifest(
  ctx: CoreContext,
  jobId: string,
  agentId: string,
  jobType: SubmitBody['job_type'],
  patch: DerivedPatch,
): Promise<PublishedDerived[]> {
  const job = await ctx.store.getJob(jobId);
  if (!job) throw notFound('job', jobId);
  const asset = (await ctx.store.getAsset(job.asset_uuid))!;
  const allowed = kindsForJob(jobType, asset.media_type);
  const entries = patch.derived_manifest ?? [];
  if (entries.length === 0) throw validationFailed('derived_manifest must list the produced files');
  const derived: PublishedDerived[] = [];
  for (const e of entries) {
    if (!allowed.includes(e.kind)) {
      throw validationFailed(
        `${jobType} may not publish ${e.kind} (allowed: ${allowed.join(', ')})`,
      );
    }
    const upload = await ctx.store.getUpload(assertUuid(e.ref, 'derived_manifest[].ref'));
    // Only the submitting agent's own uploads: another agent's bytes are not its to publish.
    if (!upload || upload.asset_uuid !== asset.uuid || upload.agent_id !== agentId)
      throw notFound('upload', e.ref);
    if (upload.status !== 'COMPLETED') {
      throw validationFailed(`upload ${e.ref} is ${upload.status.toLowerCase()}, not completed`);
    }
    if (upload.kind !== e.kind)
      throw validationFailed(`upload ${e.ref} is a ${upload.kind}, not ${e.kind}`);
    if (e.size_bytes !== undefined && e.size_bytes !== upload.size_bytes) {
      throw validationFailed(`size_bytes of ${e.ref} differs from the upload`);
    }
    if (e.sha256 !== undefined && e.sha256 !== upload.sha256) {
      throw validationFailed(`sha256 of ${e.ref} differs from the upload`);
    }
    derived.push({
      kind: e.kind,
      upload_id: upload.upload_id,
      content_type: upload.content_type,
      size_bytes: upload.size_bytes,
      sha256: upload.sha256!,
      relative_path: derivedRelativePath(asset.uuid, e.kind, upload.upload_id, upload.content_type),
    });
  }
  return derived;
}

/** Moves a staged upload into its published place (also used to finish a publish after a crash). */
export async function publishUpload(
  root: string,
  d: Pick<PublishedDerived, 'upload_id' | 'relative_path'>,
) {
  const target = absoluteDerivedPath(root, d.relative_path);
  await mkdir(path.dirname(target), { recursive: true });
  try {
    await rename(assembledPath(root, d.upload_id), target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await rm(path.dirname(assembledPath(root, d.upload_id)), { recursive: true, force: true });
}
