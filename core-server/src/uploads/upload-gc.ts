// Housekeeping of derived uploads: drop expired staging directories (and a link a crashed submit
// placed for them), and at start finish any publication a crash interrupted (the DB says
// published, the bytes are still in staging).
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DERIVED_DIR } from '../storage/storage-marker.js';
import type { CoreContext } from '../server/core-context.js';
import { publishUpload } from '../jobs/submit-job-result.js';
import { absoluteDerivedPath, derivedRelativePath, uploadDir } from './upload-paths.js';

export async function collectExpiredUploads(ctx: CoreContext): Promise<number> {
  const expired = await ctx.store.listExpiredUploads(ctx.clock());
  for (const u of expired) {
    await rm(uploadDir(ctx.options.storageRoot, u.upload_id), { recursive: true, force: true });
    // A submit links the upload into place just before its commit; one that crashed in between
    // left that link, which no record references (the upload was never published).
    if (u.status === 'COMPLETED') {
      const placed = derivedRelativePath(u.asset_uuid, u.kind, u.upload_id, u.content_type);
      await rm(absoluteDerivedPath(ctx.options.storageRoot, placed), { force: true });
    }
    await ctx.store.markUploadExpired(u.upload_id);
  }
  if (expired.length) ctx.logger.info({ count: expired.length }, 'expired uploads collected');
  return expired.length;
}

export async function finishInterruptedPublications(ctx: CoreContext): Promise<void> {
  const staging = path.join(ctx.options.storageRoot, DERIVED_DIR, '.uploads');
  const ids = await readdir(staging).catch(() => [] as string[]);
  for (const id of ids) {
    const upload = await ctx.store.getUpload(id);
    if (upload?.status !== 'PUBLISHED') continue;
    const file = await ctx.store.findDerivedByUpload(id);
    if (file) await publishUpload(ctx.options.storageRoot, file);
    else await rm(uploadDir(ctx.options.storageRoot, id), { recursive: true, force: true });
  }
}
