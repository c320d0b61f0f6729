// The photo branch of `generate_preview`: WebP q75 sRGB, long edge ≤ 2048, display-oriented.
//   JPEG/TIFF/PNG/WebP/AVIF → sharp (libvips, on its own threads)
//   HEIC/HEIF → libheif WASM decode in the image worker pool, then sharp
//   camera RAW → its largest embedded JPEG (found in the worker pool), oriented by the RAW's
//                own EXIF when the preview JPEG carries no orientation of its own
import { extname, join } from 'node:path';
import { HEIF_EXTENSIONS, RAW_EXTENSIONS } from '../media-kind.js';
import { ProcessingError, type ProcessorContext, type ProcessorOutput } from '../processor.js';
import { readExif } from '../facts/exif-facts.js';
import { isHevcHeif } from '../facts/heif-facts.js';
import {
  decodeHeif,
  extractLargestEmbeddedJpeg,
  readImageInfo,
  renderWebp,
} from '../tools/image.js';

export const PHOTO_PREVIEW_PROFILE = { maxLongEdge: 2048, quality: 75 } as const;

export async function renderPhotoPreview(
  ctx: ProcessorContext,
  started: number,
): Promise<ProcessorOutput> {
  const ext = extname(ctx.sourcePath).toLowerCase();
  const output = join(ctx.workDir, 'preview.webp');
  const common = {
    output,
    quality: PHOTO_PREVIEW_PROFILE.quality,
    maxLongEdge: PHOTO_PREVIEW_PROFILE.maxLongEdge,
    signal: ctx.signal,
  };
  ctx.onProgress({ stage: 'rendering', percent: 0 });
  const warnings: string[] = [];
  let dims: { width: number; height: number };
  if (RAW_EXTENSIONS.has(ext)) {
    const jpeg = await extractLargestEmbeddedJpeg(ctx.sourcePath, { signal: ctx.signal });
    if (!jpeg) {
      throw new ProcessingError(
        'UNSUPPORTED_MEDIA',
        `camera RAW without an embedded JPEG preview cannot be rendered by this agent: ${ctx.sourcePath}`,
        false,
      );
    }
    warnings.push('preview rendered from the embedded JPEG of the RAW file');
    const orientation = await rawOrientation(ctx.sourcePath, jpeg);
    dims = await renderWebp(jpeg, { ...common, ...(orientation ? { orientation } : {}) });
  } else if (HEIF_EXTENSIONS.has(ext) || (await isHevcHeif(ctx.sourcePath))) {
    const img = await decodeHeif(ctx.sourcePath, { signal: ctx.signal });
    dims = await renderWebp(img.rgba, {
      ...common,
      raw: { width: img.width, height: img.height, channels: 4 },
    });
  } else {
    dims = await renderWebp(ctx.sourcePath, common);
  }
  ctx.onProgress({ stage: 'rendering', percent: 100 });
  return {
    type: 'derived',
    files: [{ kind: 'preview_photo', path: output, contentType: 'image/webp' }],
    metrics: { elapsed_ms: Date.now() - started, width: dims.width, height: dims.height },
    ...(warnings.length ? { warnings } : {}),
  };
}

/**
 * The orientation to force on a RAW's embedded preview: the RAW's own EXIF orientation, but only
 * when the preview JPEG has no orientation tag (cameras either rotate the preview pixels or tag
 * it; when they do neither, the RAW's IFD0 is the only record of how the camera was held).
 */
async function rawOrientation(rawPath: string, jpeg: Buffer): Promise<number | undefined> {
  const own = await readImageInfo(jpeg).catch(() => undefined);
  if (own?.orientation) return undefined;
  const o = (await readExif(rawPath)).Orientation;
  return typeof o === 'number' && o >= 2 && o <= 8 ? o : undefined;
}
