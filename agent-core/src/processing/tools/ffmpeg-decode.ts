// Reading media out of a source: streamed PCM, a single video frame, and how much of a file can
// really be read. All of it goes through the safe input (media-input.ts).
import { ProcessingAbortedError, ProcessingError } from '../processor.js';
import { resolveFfmpegBinaries, type FfmpegBinaries } from './ffmpeg-binaries.js';
import { FFMPEG_ERROR_CODES, throwIfAborted } from './ffmpeg-process.js';
import {
  ffmpegFailure,
  msToSeconds,
  runFfmpeg,
  runFfmpegToBuffer,
  spawnFfmpeg,
} from './ffmpeg-run.js';
import { assertReadableMediaFile, sourceInputArgs } from './media-input.js';

export interface DecodePcmOptions {
  sampleRate: number;
  channels: 1 | 2;
  signal?: AbortSignal;
  startMs?: number;
  durationMs?: number;
  binaries?: FfmpegBinaries;
}

/** Turns a byte stream of float32 samples into whole-sample arrays, whatever the chunking. */
export class Float32Aligner {
  private carry: Buffer | undefined;

  push(chunk: Buffer): Float32Array | undefined {
    let buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const usable = buf.length - (buf.length % 4);
    this.carry = usable < buf.length ? Buffer.from(buf.subarray(usable)) : undefined;
    if (usable === 0) return undefined;
    buf = buf.subarray(0, usable);
    // Zero-copy view (pipe chunks are normally fresh, aligned allocations).
    if (buf.byteOffset % 4 === 0) return new Float32Array(buf.buffer, buf.byteOffset, usable / 4);
    const out = new Float32Array(usable / 4);
    new Uint8Array(out.buffer).set(buf);
    return out;
  }
}

/**
 * Streams the first audio stream of `path` as interleaved float32 samples at `sampleRate`.
 * Memory stays bounded: chunks are yielded as ffmpeg produces them and the pipe applies
 * back-pressure while the consumer is busy. Breaking out of the loop kills ffmpeg.
 */
export async function* decodePcm(
  path: string,
  opts: DecodePcmOptions,
): AsyncIterable<Float32Array> {
  throwIfAborted(opts.signal);
  assertReadableMediaFile(path);
  const bins = opts.binaries ?? resolveFfmpegBinaries();
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error'];
  if (opts.startMs) args.push('-ss', msToSeconds(opts.startMs));
  args.push(...sourceInputArgs(path));
  if (opts.durationMs !== undefined) args.push('-t', msToSeconds(opts.durationMs));
  args.push(
    '-map',
    '0:a:0',
    '-vn',
    '-sn',
    '-dn',
    '-ac',
    String(opts.channels),
    '-ar',
    String(opts.sampleRate),
    // Without this ffmpeg flushes the pipe after every tiny audio packet (~80× more writes,
    // +40 % wall time measured on a 1 h MP3).
    '-flush_packets',
    '0',
    '-f',
    'f32le',
    '-acodec',
    'pcm_f32le',
    'pipe:1',
  );
  const proc = spawnFfmpeg(bins, args, { signal: opts.signal, source: path });
  const aligner = new Float32Aligner();
  let finished = false;
  try {
    for await (const chunk of proc.child.stdout! as AsyncIterable<Buffer>) {
      const samples = aligner.push(chunk);
      if (samples) yield samples;
    }
    finished = true;
  } finally {
    if (!finished) proc.kill();
    const result = await proc.exited;
    if (opts.signal?.aborted) {
      // eslint-disable-next-line no-unsafe-finally
      throw new ProcessingAbortedError(opts.signal.reason);
    }
    if (finished && result.code !== 0) {
      const tail = proc.stderrTail();
      // eslint-disable-next-line no-unsafe-finally
      throw /matches no streams|does not contain any stream/i.test(tail)
        ? new ProcessingError(
            FFMPEG_ERROR_CODES.noStream,
            `no audio stream to decode in ${path}`,
            false,
          )
        : ffmpegFailure(result, tail, path);
    }
  }
}

/**
 * The media time (ms) whose packets can really be read from `path`: less than the header's
 * duration when the file is truncated. Stream copy to nowhere, so it costs a read of the file,
 * not a decode.
 */
export async function measureReadableDurationMs(
  path: string,
  opts: { signal?: AbortSignal; binaries?: FfmpegBinaries } = {},
): Promise<number> {
  let lastMs = 0;
  await runFfmpeg([...sourceInputArgs(path), '-map', '0', '-c', 'copy', '-f', 'null', '-'], {
    ...opts,
    source: path,
    onProgress: (p) => {
      lastMs = Math.max(lastMs, p.outTimeMs);
    },
  });
  return lastMs;
}

export interface RgbFrame {
  width: number;
  height: number;
  /** Packed 8-bit RGB, width*height*3 bytes. */
  rgb: Buffer;
}

/** Square pixels, `width` wide, `extra` filters (tone mapping), packed RGB: a frame grab's chain. */
export function rgbFrameFilters(width: number, extra: readonly string[] = []): string[] {
  return [
    'scale=trunc(iw*sar/2+0.5)*2:ih',
    'setsar=1',
    `scale=${width}:-2:flags=bicubic`,
    ...extra,
    'format=rgb24',
  ];
}

/**
 * One frame of the first video stream at `atMs`, display-oriented (autorotate), square pixels,
 * scaled to `width`. Seeks on the input side (fast: decodes from the previous keyframe only).
 * Returns undefined when there is no frame at that time (past the end).
 */
export async function extractVideoFrame(
  path: string,
  opts: {
    atMs: number;
    width: number;
    /** Extra filters before the RGB conversion (HDR tone mapping, hdr.ts). */
    filters?: string[];
    signal?: AbortSignal;
    binaries?: FfmpegBinaries;
  },
): Promise<RgbFrame | undefined> {
  const vf = rgbFrameFilters(opts.width, opts.filters);
  const out = await runFfmpegToBuffer(
    [
      // One decoder thread per grab: the caller runs grabs in parallel, and frame threading only
      // adds start-up latency when a single frame is wanted.
      '-threads',
      '1',
      '-ss',
      msToSeconds(opts.atMs),
      ...sourceInputArgs(path),
      '-map',
      '0:v:0',
      '-an',
      '-sn',
      '-dn',
      '-frames:v',
      '1',
      '-vf',
      vf.join(','),
      '-c:v',
      'ppm',
      '-f',
      'image2pipe',
      'pipe:1',
    ],
    {
      maxBytes: opts.width * opts.width * 3 * 4 + 64,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.binaries ? { binaries: opts.binaries } : {}),
      source: path,
    },
  );
  if (out.length === 0) return undefined;
  const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(out.subarray(0, 32).toString('latin1'));
  if (!m)
    throw new ProcessingError(
      FFMPEG_ERROR_CODES.failed,
      'ffmpeg returned an unexpected frame format',
      true,
    );
  const width = Number(m[1]);
  const height = Number(m[2]);
  const rgb = out.subarray(m[0].length, m[0].length + width * height * 3);
  if (rgb.length !== width * height * 3) return undefined;
  return { width, height, rgb };
}
