// Optimistic concurrency of human mutations (see docs/review-page.md): `If-Match` must carry the
// asset's current ETag. Missing ⇒ 428 PRECONDITION_REQUIRED, stale ⇒ 412 PRECONDITION_FAILED
// with `details.current_revision_etag` and `details.current_state` (the contract's names), so a
// client can tell its own earlier write from someone else's. The comparison is strong (RFC 9110
// §13.1.1): a weak validator `W/"…"` never matches. The store repeats the check as a
// compare-and-set on the revision inside its transaction.
import type { FastifyRequest } from 'fastify';
import { assetEtag, staleRevision } from '../domain/asset-etag.js';
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
  // Strong comparison: only an exact quoted tag matches; `W/"…"` and `*` do not.
  const given = header.split(',').map((t) => t.trim());
  if (!given.includes(current)) throw staleRevision(asset);
  return asset.revision;
}
