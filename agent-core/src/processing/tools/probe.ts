// probeMedia: ffprobe's view of a source (format + streams + tags), typed, read through the
// safe input (media-input.ts), with failures explained in human words.
import { basename, extname } from 'node:path';
import { z } from 'zod';
import { ProcessingAbortedError, ProcessingError } from '../processor.js';
import { resolveFfmpegBinaries, type FfmpegBinaries } from './ffmpeg-binaries.js';
import {
  collectStdout,
  failureFromExit,
  FFMPEG_ERROR_CODES,
  summarizeStderr,
  throwIfAborted,
} from './ffmpeg-process.js';
import {
  assertReadableMediaFile,
  explainSourceFailure,
  IMAGE_DEMUXERS,
  mislabelled,
  sourceInputArgs,
  superviseOnSource,
} from './media-input.js';

const tagsSchema = z.record(z.string(), z.union([z.string(), z.number()]).transform(String));
const numLike = z.union([z.string(), z.number()]).transform((v) => Number(v));

const sideDataSchema = z.looseObject({
  side_data_type: z.string().optional(),
  rotation: z.number().optional(),
  displaymatrix: z.string().optional(),
});

const streamSchema = z.looseObject({
  index: z.number(),
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  codec_tag_string: z.string().optional(),
  profile: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  sample_aspect_ratio: z.string().optional(),
  display_aspect_ratio: z.string().optional(),
  pix_fmt: z.string().optional(),
  field_order: z.string().optional(),
  color_range: z.string().optional(),
  color_space: z.string().optional(),
  color_transfer: z.string().optional(),
  color_primaries: z.string().optional(),
  r_frame_rate: z.string().optional(),
  avg_frame_rate: z.string().optional(),
  start_time: numLike.optional(),
  duration: numLike.optional(),
  bit_rate: numLike.optional(),
  nb_frames: numLike.optional(),
  sample_fmt: z.string().optional(),
  sample_rate: numLike.optional(),
  channels: z.number().optional(),
  channel_layout: z.string().optional(),
  bits_per_sample: z.number().optional(),
  bits_per_raw_sample: numLike.optional(),
  disposition: z.record(z.string(), z.number()).optional(),
  tags: tagsSchema.optional(),
  side_data_list: z.array(sideDataSchema).optional(),
});

const formatSchema = z.looseObject({
  filename: z.string().optional(),
  nb_streams: z.number().optional(),
  format_name: z.string().optional(),
  format_long_name: z.string().optional(),
  start_time: numLike.optional(),
  duration: numLike.optional(),
  size: numLike.optional(),
  bit_rate: numLike.optional(),
  probe_score: z.number().optional(),
  tags: tagsSchema.optional(),
});

const probeSchema = z.object({
  streams: z.array(streamSchema).default([]),
  format: formatSchema.optional(),
});

export type ProbeStream = z.infer<typeof streamSchema>;
export type ProbeFormat = z.infer<typeof formatSchema>;
export interface ProbeResult {
  format: ProbeFormat;
  streams: ProbeStream[];
}

/** Human wording for the usual ways a media file is damaged. */
function unreadableMessage(path: string, stderr: string): string {
  const name = basename(path);
  const ext = extname(path).slice(1).toUpperCase() || 'media';
  if (/moov atom not found/i.test(stderr))
    return `Truncated or corrupt ${ext} file: ${name} has no index (moov atom); the recording was interrupted or the copy is incomplete.`;
  if (/EBML header parsing failed|End of file|truncat/i.test(stderr))
    return `Truncated or corrupt ${ext} file: ${name} ends before its headers do.`;
  const said = summarizeStderr(stderr).replace(/file:\/dev\/fd\/\d+:\s*/g, '');
  return `Not a readable media file: ${name} (${said || 'ffprobe found no known format'}).`;
}

/** ffprobe's JSON for the source at `path`. */
export async function probeMedia(
  path: string,
  opts: { signal?: AbortSignal; binaries?: FfmpegBinaries } = {},
): Promise<ProbeResult> {
  throwIfAborted(opts.signal);
  assertReadableMediaFile(path);
  const bins = opts.binaries ?? resolveFfmpegBinaries();
  const proc = superviseOnSource(
    bins.ffprobe,
    [
      '-v',
      'error',
      '-print_format',
      'json',
      '-show_format',
      '-show_streams',
      ...sourceInputArgs(path),
    ],
    path,
    opts.signal,
  );
  const out = collectStdout(proc);
  const result = await proc.exited;
  if (opts.signal?.aborted) throw new ProcessingAbortedError(opts.signal.reason);
  if (result.code !== 0) {
    const tail = proc.stderrTail();
    const err = failureFromExit('ffprobe', result, tail);
    if (err.code !== FFMPEG_ERROR_CODES.unreadable) throw err;
    throw (
      explainSourceFailure(path, tail) ??
      new ProcessingError(err.code, unreadableMessage(path, tail), err.retryable)
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(out());
  } catch (cause) {
    throw new ProcessingError(FFMPEG_ERROR_CODES.failed, 'ffprobe printed invalid JSON', true, {
      cause,
    });
  }
  const parsed = probeSchema.safeParse(json);
  if (!parsed.success) {
    throw new ProcessingError(
      FFMPEG_ERROR_CODES.failed,
      `unexpected ffprobe output: ${parsed.error.message.slice(0, 300)}`,
      true,
    );
  }
  const probe = { format: parsed.data.format ?? {}, streams: parsed.data.streams };
  const demuxer = probe.format.format_name ?? '';
  // Every ffmpeg job is about audio or video (photos go through the image tools), so a picture
  // reaching ffprobe carries the wrong name.
  if (demuxer.split(',').some((n) => IMAGE_DEMUXERS.has(n))) throw mislabelled(path, demuxer);
  return probe;
}
