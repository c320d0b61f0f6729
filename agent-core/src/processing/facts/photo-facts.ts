// Facts of a still image: dimensions/format from the image header (sharp), camera data from
// EXIF (exifr). Works for JPEG, TIFF, PNG, WebP, AVIF and most camera RAWs (TIFF-based).
// HEIC/HEIF (HEVC-coded, which sharp's libvips cannot decode) goes through heif-facts.ts.
import { extname } from 'node:path';
import type { FactsPatch } from '@retaia/protocol';
import { readImageInfo, verifyImageDecodes } from '../tools/image.js';
import { factsFromExif, num, readExif } from './exif-facts.js';
import { heifFacts, isHevcHeif } from './heif-facts.js';

const FORMAT_NAMES: Record<string, string> = { jpeg: 'jpeg', heif: 'heic', tiff: 'tiff' };

/**
 * Photo facts. `width`/`height` are the stored pixel dimensions (as in EXIF); `orientation`
 * says how to display them. For RAW/HEIC sharp may not read the header, so EXIF fills in.
 */
export async function photoFacts(
  path: string,
  opts: { signal?: AbortSignal } = {},
): Promise<{ facts: FactsPatch; warnings: string[] }> {
  if (await isHevcHeif(path)) return heifFacts(path, opts);
  const warnings: string[] = [];
  const exif = await readExif(path);
  const facts = factsFromExif(exif);
  const ext = extname(path).slice(1).toLowerCase();
  let headerRead = false;
  try {
    const info = await readImageInfo(path);
    headerRead = true;
    facts.media_format =
      info.format === 'heif' && ext === 'avif'
        ? 'avif'
        : (FORMAT_NAMES[info.format] ?? info.format);
    facts.width = info.width;
    facts.height = info.height;
    if (info.orientation && !facts.orientation) facts.orientation = info.orientation;
    // Corrupt media must fail cleanly (non-retryable), not publish header-only facts.
    await verifyImageDecodes(path);
  } catch (err) {
    if (headerRead) throw err;
    const w = num(exif.ExifImageWidth) ?? num(exif.ImageWidth);
    const h = num(exif.ExifImageHeight) ?? num(exif.ImageHeight);
    if (!w || !h || Object.keys(exif).length === 0) throw err;
    // RAW/HEIC sharp cannot open: the container still told us the size through EXIF.
    facts.media_format = ext === 'jpg' ? 'jpeg' : ext;
    facts.width = w;
    facts.height = h;
    warnings.push(`image header not readable by libvips, dimensions taken from EXIF`);
  }
  return { facts, warnings };
}
