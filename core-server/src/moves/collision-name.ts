// Deterministic collision renaming (docs/asset-states.md). When `<name><ext>` is taken in the target folder the
// file becomes `<name>__<nonce6><ext>`, where
//
//   nonce6 = first 6 chars of BigInt('0x' + hex(sha256(utf8(asset_uuid + target_dir + attempt_index)))).toString(36)
//
// * `target_dir` is the POSIX relative target folder without trailing slash (e.g. `ARCHIVE/2024`);
// * `attempt_index` is the decimal collision attempt, 1..10 (attempt 0 is the unchanged name);
// * plain concatenation, no separators; base36 digits are 0-9a-z, lower case, no padding (so the
//   first char is the most significant non-zero digit of the 256-bit number).
// Same inputs ⇒ same name, so a crashed move re-planned by recovery lands on the same path.
//
// A name must stay within MAX_NAME_BYTES (255 bytes of UTF-8 on ext4, btrfs, XFS, ZFS, APFS): when
// `<name>__<nonce6><suffix>` would not fit for the group's longest suffix, `<name>` is shortened
// at a character (grapheme) boundary first, never mid-character; see docs/storage-safety.md.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { NameCollisionExhaustedError } from './move-errors.js';

export const MAX_COLLISION_ATTEMPTS = 10;

export function collisionNonce(assetUuid: string, targetDir: string, attemptIndex: number): string {
  const hex = createHash('sha256')
    .update(`${assetUuid}${targetDir}${attemptIndex}`, 'utf8')
    .digest('hex');
  return BigInt(`0x${hex}`).toString(36).slice(0, 6);
}

/** `clip.mp4` → `{ stem: 'clip', ext: '.mp4' }`; dot-files and extension-less names keep ext ''. */
export function splitFileName(fileName: string): { stem: string; ext: string } {
  const ext = path.posix.extname(fileName);
  return { stem: fileName.slice(0, fileName.length - ext.length), ext };
}

export const MAX_NAME_BYTES = 255;
const COLLISION_TAIL_BYTES = 2 + 6; // "__" + nonce6

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const graphemes = new Intl.Segmenter('und', { granularity: 'grapheme' });

/** Longest prefix of `text` of at most `maxBytes` UTF-8 bytes that ends on a grapheme boundary. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = utf8Bytes(segment);
    if (used + size > maxBytes) break;
    out += segment;
    used += size;
  }
  return out;
}

/**
 * The stem used at `attemptIndex` (0 = unchanged). `longestSuffixBytes` is the UTF-8 size of the
 * longest extension/sidecar suffix the stem is combined with; the stem is shortened so that every
 * name of the group fits MAX_NAME_BYTES.
 */
export function collisionStem(
  stem: string,
  assetUuid: string,
  targetDir: string,
  attemptIndex: number,
  longestSuffixBytes = 0,
): string {
  if (attemptIndex === 0) return stem;
  const room = MAX_NAME_BYTES - COLLISION_TAIL_BYTES - longestSuffixBytes;
  const short = truncateUtf8(stem, room);
  if (short === '') {
    throw new NameCollisionExhaustedError(
      `"${stem}" cannot get a collision suffix in ${targetDir}: its extension alone leaves no room within ${MAX_NAME_BYTES} bytes; rename the file`,
      { asset_uuid: assetUuid, target_dir: targetDir, stem },
    );
  }
  return `${short}__${collisionNonce(assetUuid, targetDir, attemptIndex)}`;
}

export interface FreeStem {
  stem: string;
  /** 0 when the original stem was free, else the collision attempt that succeeded (1..10). */
  attempt: number;
  /** Stems tried and found taken, in order. */
  taken: string[];
}

/**
 * First stem (original, then up to 10 nonce variants) for which `isTaken` is false. A stem is the
 * unit because a parent and its sidecars share it: the caller's `isTaken` checks every file name
 * the group would produce.
 */
export async function findFreeStem(opts: {
  assetUuid: string;
  targetDir: string;
  stem: string;
  /** Extensions / sidecar suffixes the stem is combined with (`.mp4`, `.srt`). */
  suffixes?: string[];
  isTaken: (stem: string) => boolean | Promise<boolean>;
}): Promise<FreeStem> {
  const taken: string[] = [];
  const longest = Math.max(0, ...(opts.suffixes ?? []).map(utf8Bytes));
  for (let attempt = 0; attempt <= MAX_COLLISION_ATTEMPTS; attempt++) {
    const candidate = collisionStem(opts.stem, opts.assetUuid, opts.targetDir, attempt, longest);
    if (!(await opts.isTaken(candidate))) return { stem: candidate, attempt, taken };
    taken.push(candidate);
  }
  throw new NameCollisionExhaustedError(
    `no free name for "${opts.stem}" in ${opts.targetDir} after ${MAX_COLLISION_ATTEMPTS} collision attempts; rename or clear the target folder`,
    { asset_uuid: opts.assetUuid, target_dir: opts.targetDir, stem: opts.stem, tried: taken },
  );
}
