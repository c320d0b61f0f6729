// Strong quoted entity-tag of an asset revision; bumped by every accepted business mutation.
import type { AssetState } from '@retaia/protocol';
import { CoreError } from '../errors/core-error.js';

export function assetEtag(uuid: string, revision: number): string {
  return `"${uuid}.${revision}"`;
}

/**
 * The 412 of a stale If-Match. Carries the contract's `details.current_revision_etag` and
 * `details.current_state` so a client can re-base (its own earlier write) or tell the user
 * (someone else's).
 */
export function staleRevision(asset: { uuid: string; revision: number; state: AssetState }) {
  return new CoreError(
    'PRECONDITION_FAILED',
    412,
    'the asset changed since it was read (stale If-Match); fetch it again and retry',
    false,
    { current_revision_etag: assetEtag(asset.uuid, asset.revision), current_state: asset.state },
  );
}
