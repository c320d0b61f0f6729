// Facts of an HEVC-coded HEIF (iPhone .HEIC, bursts/collections, files with alpha or a depth
// map). sharp's libvips reads the header but cannot decode HEVC, so: the container structure
// (size, rotation, image count, EXIF block) comes from heif-container.ts, and the proof that
// the pixels decode from a full libheif (WASM) decode in the image worker pool.
import { open } from 'node:fs/promises';
import type { FactsPatch } from '@retaia/protocol';
import { ProcessingError } from '../processor.js';
import { readHeifStructure, type HeifStructure } from '../tools/heif-container.js';
import { verifyHeifDecodes } from '../tools/image.js';
import { factsFromExif, readExif } from './exif-facts.js';

/** ftyp brands of HEVC-coded HEIF; AVIF (AV1) is left to sharp, whose libvips decodes it. */
const HEVC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);

/** True when the file's ftyp says HEVC-coded HEIF, whatever its extension. */
export async function isHevcHeif(path: string): Promise<boolean> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return false;
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await fh.read(head, 0, 64, 0);
    if (bytesRead < 16 || head.toString('latin1', 4, 8) !== 'ftyp') return false;
    const size = Math.min(head.readUInt32BE(0), bytesRead);
    const brands = [head.toString('latin1', 8, 12)];
    for (let p = 16; p + 4 <= size; p += 4) brands.push(head.toString('latin1', p, p + 4));
    if (brands.some((b) => b === 'avif' || b === 'avis')) return false;
    return brands.some((b) => HEVC_BRANDS.has(b));
  } finally {
    await fh.close();
  }
}

function describe(s: HeifStructure, exifOrientation: number | undefined): string[] {
  const warnings: string[] = [];
  if (s.topLevelImageCount > 1) {
    warnings.push(
      `HEIF holds ${s.topLevelImageCount} images (burst or collection): facts and preview describe the primary image`,
    );
  }
  if (s.hasSequenceTrack) {
    warnings.push('HEIF image sequence track present: facts describe the primary still image');
  }
  if (s.primary?.hasDepth) warnings.push('HEIF depth map present (not used for the preview)');
  if (exifOrientation && exifOrientation !== s.primary?.orientation) {
    warnings.push(
      `EXIF orientation ${exifOrientation} ignored: a HEIF's rotation comes from its container (irot/imir)`,
    );
  }
  return warnings;
}

export async function heifFacts(
  path: string,
  opts: { signal?: AbortSignal } = {},
): Promise<{ facts: FactsPatch; warnings: string[] }> {
  let s: HeifStructure;
  try {
    s = await readHeifStructure(path);
  } catch (err) {
    throw new ProcessingError(
      'IMAGE_UNREADABLE',
      `HEIC/HEIF container is damaged (${(err as Error).message}): ${path}`,
      false,
      { cause: err },
    );
  }
  if (!s.primary) {
    throw new ProcessingError(
      s.hasSequenceTrack ? 'UNSUPPORTED_MEDIA' : 'IMAGE_UNREADABLE',
      s.hasSequenceTrack
        ? `HEIF image sequence without a still image: this agent reads HEIF still images only: ${path}`
        : `HEIC/HEIF file has no primary image: ${path}`,
      false,
    );
  }
  const exif = s.exifTiff ? await readExif(s.exifTiff) : {};
  const facts = factsFromExif(exif);
  const warnings = describe(s, facts.orientation);
  // Corrupt media must fail cleanly (non-retryable), not publish header-only facts.
  const decoded = await verifyHeifDecodes(path, opts);
  const o = s.primary.orientation;
  const swapped = o >= 5;
  facts.media_format = 'heic';
  // Stored (pre-rotation) size, as for EXIF photos; `orientation` says how to display it.
  facts.width = s.primary.width ?? (swapped ? decoded.height : decoded.width);
  facts.height = s.primary.height ?? (swapped ? decoded.width : decoded.height);
  facts.orientation = o;
  return { facts, warnings };
}
