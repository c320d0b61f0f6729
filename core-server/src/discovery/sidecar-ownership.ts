// Which media file owns a sidecar (docs/storage-safety.md). A sidecar `<stem>.<ext>` belongs to a
// media file of the same folder and stem whose type takes that extension — but only when exactly
// one media file claims it. `twin.mp4` + `twin.mov` + `twin.srt`: the subtitle is ambiguous, it
// belongs to neither, stays where it is and is reported; otherwise rejecting one clip would move
// (and a purge delete) the subtitle of the clip that was kept.
//
// Claimants are the media files present in the folder, plus assets discovered at that folder and
// stem that have left INBOX without a sidecar of that extension: when one twin is archived, the
// subtitle left behind is not silently handed to the other one.
import path from 'node:path';
import type { MediaType } from '@retaia/protocol';
import { STORAGE_DIRS } from '../storage/storage-marker.js';
import { baseNameOf, extensionOf, sidecarExtensions } from './media-classification.js';

/** A media file seen in INBOX with the sidecar files of its folder that match its stem. */
export interface SidecarCandidates {
  relative: string;
  candidates: string[];
}

/** An asset as history sees it: where it was discovered, its type, the sidecars it holds now. */
export interface KnownAssetPaths {
  relative_path: string;
  path_history: string[];
  media_type: MediaType;
  sidecars: string[];
}

export interface AmbiguousSidecar {
  sidecar: string;
  claimed_by: string[];
}

const key = (dir: string, fileName: string) => `${dir}/${fileName.toLowerCase()}`;

/**
 * Sidecars each asset that has left INBOX still claims in the folder it was discovered in: one
 * key per sidecar extension its type takes and that it does not hold (it left without it).
 */
export function historicalClaims(
  assets: KnownAssetPaths[],
  videoProxySidecars: boolean,
): Map<string, string[]> {
  const claims = new Map<string, string[]>();
  const inboxPrefix = `${STORAGE_DIRS.inbox}/`;
  for (const a of assets) {
    if (a.relative_path.startsWith(inboxPrefix)) continue; // still present: claims by the walk
    const discovered = a.path_history[0] ?? a.relative_path;
    if (!discovered.startsWith(inboxPrefix)) continue;
    const held = new Set(a.sidecars.map((s) => extensionOf(s)));
    const dir = path.posix.dirname(discovered);
    const stem = baseNameOf(path.posix.basename(discovered));
    for (const ext of sidecarExtensions(a.media_type, videoProxySidecars)) {
      if (held.has(ext)) continue;
      const k = key(dir, `${stem}.${ext}`);
      claims.set(k, [...(claims.get(k) ?? []), discovered]);
    }
  }
  return claims;
}

/**
 * Sidecars per media file, ambiguous ones removed. `history` is asked for only when a sidecar
 * would be given to a media file that does not hold it yet (a rescan of settled files never
 * loads it).
 */
export async function assignSidecars(
  media: SidecarCandidates[],
  heldNow: (relative: string) => readonly string[] | undefined,
  history: () => Promise<Map<string, string[]>>,
): Promise<{ sidecars: Map<string, string[]>; ambiguous: AmbiguousSidecar[] }> {
  const present = new Map<string, string[]>();
  for (const m of media) {
    for (const c of m.candidates) present.set(c, [...(present.get(c) ?? []), m.relative]);
  }
  let past: Map<string, string[]> | undefined;
  const sidecars = new Map<string, string[]>();
  const ambiguous = new Map<string, AmbiguousSidecar>();
  for (const m of media) {
    const owned: string[] = [];
    for (const c of m.candidates) {
      let claimants = present.get(c)!;
      if (claimants.length === 1 && !heldNow(m.relative)?.includes(c)) {
        past ??= await history();
        claimants = [
          ...claimants,
          ...(past.get(key(path.posix.dirname(c), path.posix.basename(c))) ?? []),
        ];
      }
      if (claimants.length === 1) owned.push(c);
      else ambiguous.set(c, { sidecar: c, claimed_by: [...claimants].sort() });
    }
    sidecars.set(m.relative, owned);
  }
  return { sidecars, ambiguous: [...ambiguous.values()] };
}
