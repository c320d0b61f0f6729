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
import type { MovedAssetOrigin } from '../store/core-store.js';
import { STORAGE_DIRS } from '../storage/storage-marker.js';
import { baseNameOf, extensionOf, sidecarExtensions } from './media-classification.js';

/** A media file seen in INBOX with the sidecar files of its folder that match its stem. */
export interface SidecarCandidates {
  relative: string;
  candidates: readonly string[];
}

export interface AmbiguousSidecar {
  sidecar: string;
  claimed_by: string[];
}

/** ASCII-only lower case, the same as SQLite's lower(), so keys match the store's query. */
const asciiLower = (p: string) => p.replace(/[A-Z]/g, (c) => c.toLowerCase());
const key = (sidecar: string) => asciiLower(sidecar);

/** `INBOX/d/twin.srt` → `inbox/d/twin.`: the discovery paths of media files of that stem. */
export function discoveryPrefix(sidecar: string): string {
  const dir = path.posix.dirname(sidecar);
  return asciiLower(`${dir}/${baseNameOf(path.posix.basename(sidecar))}.`);
}

/**
 * Sidecars each asset that has left INBOX still claims in the folder it was discovered in: one
 * key per sidecar extension its type takes and that it does not hold (it left without it).
 */
export function historicalClaims(
  moved: MovedAssetOrigin[],
  videoProxySidecars: boolean,
): Map<string, string[]> {
  const claims = new Map<string, string[]>();
  const inboxPrefix = `${STORAGE_DIRS.inbox}/`;
  for (const a of moved) {
    if (a.relative_path.startsWith(inboxPrefix) || !a.discovered.startsWith(inboxPrefix)) continue;
    const held = new Set(a.sidecars.map((s) => extensionOf(s)));
    const stemPath = a.discovered.slice(
      0,
      a.discovered.length - path.posix.extname(a.discovered).length,
    );
    for (const ext of sidecarExtensions(a.media_type, videoProxySidecars)) {
      if (held.has(ext)) continue;
      const k = key(`${stemPath}.${ext}`);
      claims.set(k, [...(claims.get(k) ?? []), a.discovered]);
    }
  }
  return claims;
}

/**
 * Sidecars per media file that has candidates, ambiguous ones removed; a media file without
 * candidates owns none and is left out of the map. `history` is asked once, and only for the
 * sidecars about to be given to a media file that does not hold them yet (a rescan of settled
 * files never queries it).
 */
export async function assignSidecars(
  allMedia: readonly SidecarCandidates[],
  heldNow: (relative: string) => readonly string[] | undefined,
  history: (sidecars: string[]) => Promise<Map<string, string[]>>,
): Promise<{ sidecars: Map<string, string[]>; ambiguous: AmbiguousSidecar[] }> {
  const media = allMedia.filter((m) => m.candidates.length > 0);
  const claimants = new Map<string, string[]>();
  for (const m of media) {
    for (const c of m.candidates) claimants.set(c, [...(claimants.get(c) ?? []), m.relative]);
  }
  const newlyAttached = media.flatMap((m) =>
    m.candidates.filter((c) => claimants.get(c)!.length === 1 && !heldNow(m.relative)?.includes(c)),
  );
  if (newlyAttached.length) {
    const past = await history(newlyAttached);
    for (const c of newlyAttached) claimants.get(c)!.push(...(past.get(key(c)) ?? []));
  }
  const sidecars = new Map<string, string[]>();
  const ambiguous = new Map<string, AmbiguousSidecar>();
  for (const m of media) {
    const owned: string[] = [];
    for (const c of m.candidates) {
      const who = claimants.get(c)!;
      if (who.length === 1) owned.push(c);
      else ambiguous.set(c, { sidecar: c, claimed_by: [...who].sort() });
    }
    sidecars.set(m.relative, owned);
  }
  return { sidecars, ambiguous: [...ambiguous.values()] };
}
