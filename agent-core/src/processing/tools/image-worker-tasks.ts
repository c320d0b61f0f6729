// The CPU-heavy, pure-JS/WASM photo work that would otherwise stall the daemon's event loop —
// HEIC/HEIF decoding with libheif (WASM) and the byte scan for a camera RAW's embedded JPEG —
// run by image-worker.ts in a worker thread. It imports nothing native (sharp stays on the main
// thread, where libvips already runs on its own threads), so a bundler can ship the worker as one
// self-contained file. See docs/photo-pipeline.md.
import { readFile, stat } from 'node:fs/promises';
import libheif from 'libheif-js/wasm-bundle.js';
import { largestEmbeddedJpeg } from './embedded-jpeg.js';
import type { WorkerReply, WorkerRequest } from './image-worker-protocol.js';

/** A failure with the code/retryability the main thread turns into a ProcessingError. */
class TaskError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

/** Files above this are refused rather than decoded whole in memory (WASM heap). */
const MAX_HEIF_BYTES = 200 * 1024 * 1024;
/** 120 MP: a 48 MP iPhone ProRAW-sized HEIC fits; a pixel bomb does not. */
const MAX_HEIF_PIXELS = 120_000_000;

// libheif-js reports parse/decode problems with console.log; keep the last line for our error
// message instead of printing it on the daemon's stdout.
let lastLibheifMessage = '';
function quietly<T>(fn: () => T): T {
  const log = console.log;
  console.log = (...args: unknown[]) => {
    lastLibheifMessage = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  };
  try {
    return fn();
  } finally {
    console.log = log;
  }
}

async function decodeHeif(path: string, wantPixels: boolean) {
  const size = (await stat(path)).size;
  if (size > MAX_HEIF_BYTES) {
    throw new TaskError(
      'UNSUPPORTED_MEDIA',
      `HEIF file too large to decode (${size} bytes): ${path}`,
    );
  }
  const bytes = await readFile(path);
  await libheif.ready;
  const decoder = new libheif.HeifDecoder();
  lastLibheifMessage = '';
  const images = quietly(() => decoder.decode(bytes));
  try {
    if (images.length === 0) {
      throw new TaskError(
        'IMAGE_UNREADABLE',
        `HEIC/HEIF image cannot be decoded (${lastLibheifMessage || 'no still image in the file'}): ${path}`,
      );
    }
    const primary = images.find((i) => i.is_primary()) ?? images[0]!;
    const width = primary.get_width();
    const height = primary.get_height();
    if (width * height > MAX_HEIF_PIXELS) {
      throw new TaskError(
        'UNSUPPORTED_MEDIA',
        `HEIF image too large to decode (${width}×${height} pixels): ${path}`,
      );
    }
    const data = new Uint8ClampedArray(width * height * 4);
    const ok = await new Promise<boolean>((resolve) =>
      primary.display({ data, width, height }, (r) => resolve(r !== null)),
    );
    if (!ok) {
      throw new TaskError(
        'IMAGE_UNREADABLE',
        `HEIC/HEIF image cannot be decoded (${lastLibheifMessage || 'decoder returned no pixels'}): ${path}`,
      );
    }
    return {
      width,
      height,
      imageCount: images.length,
      hasAlpha: primary.has_alpha_channel(),
      ...(wantPixels ? { rgba: data.buffer } : {}),
    };
  } finally {
    for (const image of images) image.free();
    decoder.decoder?.delete?.();
  }
}

async function embeddedJpeg(path: string, maxFileBytes: number) {
  const size = (await stat(path)).size;
  if (size > maxFileBytes) return {};
  const buf = await readFile(path);
  const found = largestEmbeddedJpeg(buf);
  if (!found) return {};
  // Copy the slice into its own ArrayBuffer so only the JPEG crosses back, not the whole RAW.
  const jpeg = new Uint8Array(found.end - found.start);
  jpeg.set(buf.subarray(found.start, found.end));
  return { jpeg: jpeg.buffer };
}

/** Runs one request; failures come back as a typed error reply, never as a throw. */
export async function runImageTask(req: WorkerRequest): Promise<WorkerReply> {
  try {
    const result =
      req.op === 'heif-decode'
        ? await decodeHeif(req.path, req.pixels)
        : await embeddedJpeg(req.path, req.maxFileBytes);
    return { id: req.id, ok: true, result };
  } catch (err) {
    const e = err as Partial<TaskError> & Error;
    const io = (err as NodeJS.ErrnoException).code;
    return {
      id: req.id,
      ok: false,
      error:
        err instanceof TaskError
          ? { code: e.code!, message: e.message, retryable: e.retryable! }
          : io === 'ENOENT' || io === 'EACCES' || io === 'EISDIR'
            ? {
                code: 'SOURCE_UNREADABLE',
                message: `cannot read ${req.path}: ${e.message}`,
                retryable: false,
              }
            : {
                code: 'IMAGE_UNREADABLE',
                message: `image cannot be decoded (${e.message}): ${req.path}`,
                retryable: false,
              },
    };
  }
}
