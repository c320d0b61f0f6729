// What a scan saw in INBOX that did not end up with an asset, for GET /ops/ingest/* (docs/operations.md):
// sidecar files no media file owns, and assets whose file has gone from INBOX. Pure functions of
// one scan's findings; the scanner records their result through the store.
import path from 'node:path';
import type { ScanIndexEntry } from '../store/core-store.js';
import type { UnmatchedSidecar } from '../store/ops-store.js';
import { baseNameOf, extensionOf, mediaTypeOf, sidecarExtensions } from './media-classification.js';
import type { AmbiguousSidecar, SidecarCandidates } from './sidecar-ownership.js';
import { expectedInInbox, type ScanIndex } from './scan-index.js';

/** `INBOX/d/Clip.srt` → `inbox/d/clip`: media and sidecar of one folder and stem share it. */
const stemKey = (relative: string) =>
  path.posix
    .join(path.posix.dirname(relative), baseNameOf(path.posix.basename(relative)))
    .toLowerCase();

/**
 * Every sidecar file of the scan that no media file owns, and why:
 * - `ambiguous_parent`: several media files (present, or gone from INBOX without it) claim it;
 * - `disabled_by_policy`: a video of that stem is there, but its extension is a proxy sidecar
 *   (`.lrv`/`.thm`) and Core runs without `videoProxySidecars`;
 * - `missing_parent`: no media file of that folder and stem takes it.
 */
export function unmatchedSidecars(
  sidecarFiles: readonly string[],
  media: readonly SidecarCandidates[],
  ambiguous: readonly AmbiguousSidecar[],
  videoProxySidecars: boolean,
): UnmatchedSidecar[] {
  if (sidecarFiles.length === 0) return [];
  const claimed = new Set<string>();
  for (const m of media) for (const c of m.candidates) claimed.add(c);
  const ambiguousPaths = new Set(ambiguous.map((a) => a.sidecar));
  const videoTakes = new Set(sidecarExtensions('VIDEO', videoProxySidecars));
  const videoCould = new Set(sidecarExtensions('VIDEO', true));
  // Only asked when a proxy sidecar is left over (rare): no pass over every media file otherwise.
  let videoStems: Set<string> | undefined;
  const hasVideoOfStem = (file: string) => {
    videoStems ??= new Set(
      media.filter((m) => mediaTypeOf(m.relative) === 'VIDEO').map((m) => stemKey(m.relative)),
    );
    return videoStems.has(stemKey(file));
  };
  const out: UnmatchedSidecar[] = [];
  for (const file of sidecarFiles) {
    if (ambiguousPaths.has(file)) {
      out.push({ path: file, reason: 'ambiguous_parent' });
      continue;
    }
    if (claimed.has(file)) continue;
    const ext = extensionOf(file);
    const refusedProxy = videoCould.has(ext) && !videoTakes.has(ext) && hasVideoOfStem(file);
    out.push({ path: file, reason: refusedProxy ? 'disabled_by_policy' : 'missing_parent' });
  }
  return out;
}

/**
 * Assets recorded under INBOX whose file this scan did not see (deleted, renamed, or unreadable):
 * those expected there minus those seen, from the entries the walk already looked up.
 */
export function missingInboxAssets(
  index: Pick<ScanIndex, 'expectedInInbox'>,
  seen: readonly { known: ScanIndexEntry | undefined }[],
): number {
  let seenExpected = 0;
  for (const { known } of seen) if (expectedInInbox(known)) seenExpected++;
  return index.expectedInInbox - seenExpected;
}
