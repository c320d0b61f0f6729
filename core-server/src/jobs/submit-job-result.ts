// Submit: validate the result against the job's domain, complete the job in one transaction,
// then move the referenced uploads into `.derived/<uuid>/` and delete the files they replace.
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { kindsForJob } from '../domain/derived-kinds.js';
import { notFound, validationFailed } from '../errors/core-error.js';
import type { SubmitBody } from './job-result-schema.js';
import type { CoreContext } from '../server/core-context.js';
import type { PublishedDerived } from '../store/core-store.js';
import {
  absoluteDerivedPath,
  assembledPath,
  assertUuid,
  derivedRelativePath,
} from '../uploads/upload-paths.js';

export async function submitJobResult(
  ctx: CoreContext,
  jobId: string,
  agentId: string,
  body: SubmitBody,
) {
  const job = await ctx.store.getJob(jobId);
  if (!job) throw notFound('job', jobId);
  const asset = (await ctx.store.getAsset(job.asset_uuid))!;
  const root = ctx.options.storageRoot;

  let derived: PublishedDerived[] | undefined;
  if ('derived_patch' in body.result) {
    const allowed = kindsForJob(body.job_type, asset.media_type);
    const entries = body.result.derived_patch.derived_manifest ?? [];
    if (entries.length === 0)
      throw validationFailed('derived_manifest must list the produced files');
    derived = [];
    for (const e of entries) {
      if (!allowed.includes(e.kind)) {
        throw validationFailed(
          `${body.job_type} may not publish ${e.kind} (allowed: ${allowed.join(', ')})`,
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
        relative_path: derivedRelativePath(
          asset.uuid,
          e.kind,
          upload.upload_id,
          upload.content_type,
        ),
      });
    }
  }

  const result = await ctx.store.completeJob({
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
  });
  for (const d of derived ?? []) await publishUpload(root, d);
  for (const old of result.replacedFiles) {
    await rm(absoluteDerivedPath(root, old), { force: true });
  }
  const after = (await ctx.store.getAsset(asset.uuid))!;
  return {
    job_id: jobId,
    status: result.job.status,
    asset_uuid: asset.uuid,
    asset_state: after.state,
  };
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
