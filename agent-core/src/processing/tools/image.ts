// The one module that owns sharp (libvips). Processors call these functions; nothing else
// imports sharp. sharp is loaded lazily so a broken native install degrades capabilities
// (detectMediaCapabilities reports it) instead of crashing the daemon at import time.
import { basename } from 'node:path';
import { createRequire } from 'node:module';
import type { Sharp, SharpOptions } from 'sharp';
import { ProcessingAbortedError, ProcessingError } from '../processor.js';
import type { EmbeddedJpegResult, HeifDecodeResult } from './image-worker-protocol.js';
import { imageWorkers } from './image-worker-pool.js';

type SharpFactory = (input?: string | Buffer | SharpOptions, options?: SharpOptions) => Sharp;
let sharpPromise: Promise<SharpFactory> | undefined;

/**
 * sharp is loaded with require, not `import('sharp')`: the desktop app ships this code as an
 * esbuild CJS bundle (electron/dist/daemon.cjs) with sharp external, and there a dynamic
 * import goes through the ESM resolver, which ignores NODE_PATH and cannot read packages
 * inside an Electron asar archive; require resolves both.
 */
function requireSharp(): Promise<unknown> {
  return new Promise((resolve) => resolve(createRequire(import.meta.url)('sharp')));
}

/** Loads sharp once; throws a retryable IMAGE_TOOL_UNAVAILABLE when the native module is broken. */
export async function loadSharp(): Promise<SharpFactory> {
  sharpPromise ??= requireSharp().then(
    (m) => {
      const factory = m as SharpFactory & { concurrency(n: number): number };
      // One libvips thread pool per job is plenty on small agents; the daemon parallelises jobs.
      factory.concurrency(Math.max(1, Math.min(4, factory.concurrency(0))));
      return factory;
    },
    (err: unknown) => {
      sharpPromise = undefined;
      throw new ProcessingError(
        'IMAGE_TOOL_UNAVAILABLE',
        `sharp (libvips) failed to load: ${(err as Error).message}`,
        true,
        { cause: err },
      );
    },
  );
  return sharpPromise;
}

/** Safety limits for untrusted images: pixel bomb cap, hard failure on corrupt data. */
const INPUT_OPTIONS: SharpOptions = {
  limitInputPixels: 40_000 * 40_000,
  failOn: 'error',
  sequentialRead: true,
};
/** sharp's own per-pipeline timeout so a pathological file cannot hang a job. */
const PIPELINE_TIMEOUT_S = 120;

export interface ImageInfo {
  format: string;
  width: number;
  height: number;
  /** EXIF orientation 1..8 when present. */
  orientation?: number;
  hasAlpha: boolean;
  /** Bits per channel as libvips sees it (uchar=8, ushort=16, float=32). */
  bitsPerChannel?: number;
  space?: string;
}

function imageError(err: unknown, path: string | undefined): ProcessingError {
  const msg = (err as Error)?.message ?? String(err);
  if (/timeout/i.test(msg)) {
    return new ProcessingError('IMAGE_TIMEOUT', `image processing timed out: ${msg}`, true, {
      cause: err,
    });
  }
  return new ProcessingError('IMAGE_UNREADABLE', unreadableImageMessage(msg, path), false, {
    cause: err,
  });
}

/**
 * What a reviewer reads on the review page: the file's name (never this machine's path) and the
 * decoder's complaint in words, with what to do about it.
 */
function unreadableImageMessage(decoderMessage: string, path: string | undefined): string {
  const name = path ? basename(path) : 'the image';
  const detail = (decoderMessage.split('\n')[0] ?? '').replace(/^Vips\w+:\s*/, '').trim();
  if (/corrupt jpeg|premature end|not a jpeg|jpeg datastream/i.test(decoderMessage)) {
    return `Corrupt JPEG: ${name} is damaged or cut short (${detail}). Copy it again from the card.`;
  }
  if (/unsupported image format|input file contains unsupported/i.test(decoderMessage)) {
    return `Unsupported or damaged image: ${name} is not in a format this agent can read (${detail}).`;
  }
  return `Unreadable image: ${name} cannot be decoded (${detail}).`;
}

const DEPTH_BITS: Record<string, number> = {
  uchar: 8,
  char: 8,
  ushort: 16,
  short: 16,
  uint: 32,
  int: 32,
  float: 32,
  double: 64,
};

/** Header-only read: format, stored dimensions, orientation. */
export async function readImageInfo(input: string | Buffer): Promise<ImageInfo> {
  const sharp = await loadSharp();
  try {
    const m = await sharp(input, INPUT_OPTIONS).metadata();
    if (!m.format || !m.width || !m.height) throw new Error('no image dimensions');
    const info: ImageInfo = {
      format: m.format,
      width: m.width,
      height: m.height,
      hasAlpha: Boolean(m.hasAlpha),
    };
    if (m.orientation) info.orientation = m.orientation;
    if (m.depth && DEPTH_BITS[m.depth]) info.bitsPerChannel = DEPTH_BITS[m.depth];
    if (m.space) info.space = m.space;
    return info;
  } catch (err) {
    throw imageError(err, typeof input === 'string' ? input : undefined);
  }
}

/** A full decode of a big photo is seconds; a stuck one must not hold a job. */
const DECODE_CHECK_TIMEOUT_S = 30;

/**
 * Proves the pixels decode, not just the header: a truncated JPEG still reports its full size.
 * Decodes through a tiny resize (JPEG shrink-on-load keeps it cheap) and fails on truncated or
 * corrupt data with a non-retryable IMAGE_UNREADABLE (a timeout is IMAGE_TIMEOUT, retryable).
 */
export async function verifyImageDecodes(input: string | Buffer): Promise<void> {
  const sharp = await loadSharp();
  try {
    await sharp(input, { ...INPUT_OPTIONS, failOn: 'truncated' })
      .timeout({ seconds: DECODE_CHECK_TIMEOUT_S })
      .resize({ width: 64, height: 64, fit: 'inside' })
      .raw()
      .toBuffer();
  } catch (err) {
    throw imageError(err, typeof input === 'string' ? input : undefined);
  }
}

export interface WebpRenderOptions {
  output: string;
  quality: number;
  /** Fit inside this long edge (never upscaled). */
  maxLongEdge?: number;
  /** Exact output width, height kept in proportion (used for thumbnails). */
  width?: number;
  signal?: AbortSignal;
  /** Raw pixel input description when `input` is a raw RGB buffer. */
  raw?: { width: number; height: number; channels: 3 | 4 };
  /**
   * EXIF orientation (2..8) to apply instead of the input's own tag: for a RAW's embedded
   * preview, which usually carries none, the orientation comes from the RAW's metadata.
   */
  orientation?: number;
}

/**
 * EXIF orientation → sharp operations. sharp mirrors (flop) before it rotates, so the transposed
 * orientations 5 and 7 pair the mirror with 270° and 90° (checked against libvips' own autoOrient
 * in photo-preview.test.ts).
 */
const ORIENTATION_OPS: Record<number, { rotate: number; flop: boolean }> = {
  2: { rotate: 0, flop: true },
  3: { rotate: 180, flop: false },
  4: { rotate: 180, flop: true },
  5: { rotate: 270, flop: true },
  6: { rotate: 90, flop: false },
  7: { rotate: 90, flop: true },
  8: { rotate: 270, flop: false },
};

/**
 * Renders `input` to an sRGB WebP: EXIF orientation applied, 16-bit/CMYK/ICC converted to
 * 8-bit sRGB, alpha kept, metadata stripped. Returns the output dimensions.
 */
export async function renderWebp(
  input: string | Buffer,
  opts: WebpRenderOptions,
): Promise<{ width: number; height: number }> {
  if (opts.signal?.aborted) throw new ProcessingAbortedError(opts.signal.reason);
  const sharp = await loadSharp();
  try {
    let img = sharp(input, opts.raw ? { raw: opts.raw } : INPUT_OPTIONS).timeout({
      seconds: PIPELINE_TIMEOUT_S,
    });
    const forced = opts.orientation ? ORIENTATION_OPS[opts.orientation] : undefined;
    if (forced) {
      if (forced.rotate) img = img.rotate(forced.rotate);
      if (forced.flop) img = img.flop();
    } else img = img.autoOrient();
    if (opts.maxLongEdge) {
      img = img.resize({
        width: opts.maxLongEdge,
        height: opts.maxLongEdge,
        fit: 'inside',
        withoutEnlargement: true,
      });
    } else if (opts.width) {
      img = img.resize({ width: opts.width });
    }
    const info = await img
      .toColourspace('srgb')
      .webp({ quality: opts.quality, effort: 4 })
      .toFile(opts.output);
    if (opts.signal?.aborted) throw new ProcessingAbortedError(opts.signal.reason);
    return { width: info.width, height: info.height };
  } catch (err) {
    if (err instanceof ProcessingAbortedError) throw err;
    throw imageError(err, typeof input === 'string' ? input : undefined);
  }
}

/**
 * The largest embedded JPEG inside a camera RAW (or any container), or undefined. Camera RAWs
 * (CR2, NEF, ARW, DNG, RAF, ORF…) carry a full-size or large JPEG preview; libvips cannot
 * demosaic RAW data, so the preview is what we publish. The scan reads the whole file and runs
 * in the image worker pool (embedded-jpeg.ts), off the daemon's event loop.
 */
export async function extractLargestEmbeddedJpeg(
  path: string,
  opts: { signal?: AbortSignal; maxFileBytes?: number } = {},
): Promise<Buffer | undefined> {
  const r = await imageWorkers().run<EmbeddedJpegResult>(
    { op: 'embedded-jpeg', path, maxFileBytes: opts.maxFileBytes ?? 512 * 1024 * 1024 },
    opts.signal,
  );
  return r.jpeg ? Buffer.from(r.jpeg) : undefined;
}

// ---------------------------------------------------------------------------------------------
// HEIC/HEIF: sharp's prebuilt libvips ships libheif without an HEVC decoder (patents), so iPhone
// photos are decoded by libheif compiled to WebAssembly (npm `libheif-js`), in the image worker
// pool. libheif applies the container's rotation/mirror (irot/imir), so the pixels come out
// display-oriented.

/** Decodes the primary image of a HEIC/HEIF file to display-oriented RGBA. */
export async function decodeHeif(
  path: string,
  opts: { signal?: AbortSignal } = {},
): Promise<{ width: number; height: number; rgba: Buffer }> {
  const r = await imageWorkers().run<HeifDecodeResult>(
    { op: 'heif-decode', path, pixels: true },
    opts.signal,
  );
  return { width: r.width, height: r.height, rgba: Buffer.from(r.rgba!) };
}

/**
 * Proves the primary image of a HEIC/HEIF decodes (a full decode in a worker; pixels are not
 * sent back) and returns its display size and the number of top-level images.
 */
export async function verifyHeifDecodes(
  path: string,
  opts: { signal?: AbortSignal } = {},
): Promise<{ width: number; height: number; imageCount: number; hasAlpha: boolean }> {
  const { width, height, imageCount, hasAlpha } = await imageWorkers().run<HeifDecodeResult>(
    { op: 'heif-decode', path, pixels: false },
    opts.signal,
  );
  return { width, height, imageCount, hasAlpha };
}
