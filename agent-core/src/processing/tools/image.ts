// The one module that owns sharp (libvips). Processors call these functions; nothing else
// imports sharp. sharp is loaded lazily so a broken native install degrades capabilities
// (detectMediaCapabilities reports it) instead of crashing the daemon at import time.
import { open, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Sharp, SharpOptions } from 'sharp';
import { ProcessingAbortedError, ProcessingError } from '../processor.js';

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
  return new ProcessingError(
    'IMAGE_UNREADABLE',
    `image cannot be decoded (${msg})${path ? `: ${path}` : ''}`,
    false,
    { cause: err },
  );
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
}

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
    let img = sharp(input, opts.raw ? { raw: opts.raw } : INPUT_OPTIONS)
      .timeout({ seconds: PIPELINE_TIMEOUT_S })
      .autoOrient();
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
 * demosaic RAW data, so the preview is what we publish. We scan for SOI markers and follow
 * the JPEG segment structure to its EOI, keeping the biggest well-formed one.
 */
export async function extractLargestEmbeddedJpeg(
  path: string,
  maxFileBytes = 512 * 1024 * 1024,
): Promise<Buffer | undefined> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    if (size > maxFileBytes) return undefined;
    const buf = Buffer.allocUnsafe(size);
    await fh.read(buf, 0, size, 0);
    let best: { start: number; end: number } | undefined;
    for (let i = buf.indexOf(0xff); i >= 0 && i < size - 3; i = buf.indexOf(0xff, i + 1)) {
      if (buf[i + 1] !== 0xd8 || buf[i + 2] !== 0xff) continue;
      const end = jpegEnd(buf, i);
      if (end && (!best || end - i > best.end - best.start)) best = { start: i, end };
      if (end) i = end - 1;
    }
    return best && best.end - best.start > 1024
      ? Buffer.from(buf.subarray(best.start, best.end))
      : undefined;
  } finally {
    await fh.close();
  }
}

/** Index just past the EOI of the JPEG starting at `soi`, or undefined when malformed. */
function jpegEnd(buf: Buffer, soi: number): number | undefined {
  let p = soi + 2;
  while (p + 4 <= buf.length) {
    if (buf[p] !== 0xff) return undefined;
    const marker = buf[p + 1]!;
    if (marker === 0xff) {
      p++;
      continue;
    }
    if (marker === 0xd9) return p + 2;
    if (marker >= 0xd0 && marker <= 0xd7) {
      p += 2;
      continue;
    }
    const len = buf.readUInt16BE(p + 2);
    if (len < 2) return undefined;
    p += 2 + len;
    if (marker === 0xda) {
      // Entropy-coded data: skip to the next marker that is not stuffing (FF00) or RSTn.
      while (p + 1 < buf.length) {
        if (buf[p] === 0xff) {
          const m = buf[p + 1]!;
          if (m !== 0x00 && !(m >= 0xd0 && m <= 0xd7) && m !== 0xff) break;
        }
        p++;
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// HEIC/HEIF: sharp's prebuilt libvips ships libheif without an HEVC decoder (patents), so iPhone
// photos are decoded by libheif compiled to WebAssembly (npm `heic-decode` → `libheif-js`),
// loaded only when a HEIC file shows up. libheif applies the container's rotation/mirror
// (irot/imir), so the pixels come out display-oriented.

type HeicDecode = (input: { buffer: Buffer | Uint8Array }) => Promise<{
  width: number;
  height: number;
  data: Uint8ClampedArray;
}>;
let heicDecode: HeicDecode | undefined;

/** Files above this are refused rather than decoded whole in memory (WASM heap). */
const MAX_HEIF_BYTES = 200 * 1024 * 1024;

export async function decodeHeif(
  path: string,
): Promise<{ width: number; height: number; rgba: Buffer }> {
  const size = (await stat(path)).size;
  if (size > MAX_HEIF_BYTES) {
    throw new ProcessingError(
      'UNSUPPORTED_MEDIA',
      `HEIF file too large to decode (${size} bytes): ${path}`,
      false,
    );
  }
  try {
    heicDecode ??= createRequire(import.meta.url)('heic-decode') as HeicDecode;
  } catch (err) {
    throw new ProcessingError(
      'IMAGE_TOOL_UNAVAILABLE',
      `HEIC decoder (heic-decode) failed to load: ${(err as Error).message}`,
      true,
      { cause: err },
    );
  }
  try {
    const img = await heicDecode({ buffer: await readFile(path) });
    if (!img.width || !img.height || img.data.length !== img.width * img.height * 4)
      throw new Error('decoder returned no pixels');
    return {
      width: img.width,
      height: img.height,
      rgba: Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length),
    };
  } catch (err) {
    throw new ProcessingError(
      'IMAGE_UNREADABLE',
      `HEIC/HEIF image cannot be decoded (${(err as Error).message}): ${path}`,
      false,
      { cause: err },
    );
  }
}
