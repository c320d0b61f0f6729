// Small builders shared by the conformance cases.
import { randomUUID } from 'node:crypto';
import {
  CAPABILITIES,
  type FactsPatch,
  type MediaType,
  type ProcessingProfile,
} from '@retaia/protocol';
import type { CoreStore, NewAsset } from '../../src/store/core-store.js';

export const ALL_CAPABILITIES = Object.values(CAPABILITIES);

export function newAsset(
  i: number,
  opts: { media_type?: MediaType; profile?: ProcessingProfile; name?: string; uuid?: string } = {},
): NewAsset {
  const name = opts.name ?? `f${i}.jpg`;
  return {
    uuid: opts.uuid ?? randomUUID(),
    media_type: opts.media_type ?? 'PHOTO',
    profile: opts.profile ?? 'photo_standard',
    relative_path: `INBOX/${i}-${name}`,
    name,
    size_bytes: 100 + i,
    mtime_ms: 1000 + i,
    sidecars: [],
  };
}

/** Discovers the assets and makes them READY at `nowMs` (jobs planned). */
export async function addReadyAssets(store: CoreStore, assets: NewAsset[], nowMs = 1000) {
  await store.applyScan(
    { inserts: assets, updates: [], ready: assets.map((a) => a.uuid) },
    {},
    nowMs,
  );
  return assets;
}

export const PHOTO_FACTS: FactsPatch = { media_format: 'jpeg', width: 640, height: 480 };

/** A fixed uuid per index, for cases whose result depends on uuid order (ties). */
export const fixedUuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
