// Optimistic concurrency of human mutations (SPEC §6): `If-Match` must carry the asset's current
// ETag. Missing ⇒ 428 PRECONDITION_REQUIRED, stale ⇒ 412 PRECONDITION_FAILED. The store repeats
// the check as a compare-and-set on the revision inside its transaction.
import type { FastifyRequest } from 'fastify';
import { assetEtag } from '../domain/asset-etag.js';
import { CoreError } from '../errors/core-error.js';
import type { AssetRecord } from '../store/records.js';

export function requireIfMatch(request: FastifyRequest, asset: AssetRecord): number {
  const header = request.headers['if-match'];
  if (typeof header !== 'string' || header.trim() === '') {
    throw new CoreError(
      'PRECONDITION_REQUIRED',
      428,
      'If-Match with the asset ETag (from GET /assets/{uuid}) is required',
    );
  }
  const current = assetEtag(asset.uuid, asset.revision);
  const given = header.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (!given.includes(current)) {
    throw new CoreError(
      'PRECONDITION_FAILED',
      412,
      'the asset changed since it was read (stale If-Match); fetch it again and retry',
      false,
      { current_etag: current },
    );
  }
  return asset.revision;
}
