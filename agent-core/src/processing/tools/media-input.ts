// How ffmpeg and ffprobe are allowed to read a source (docs/media-input-safety.md).
//
// A media file can be a *pointer* to other files: an HLS playlist named `clip.mp4` makes ffmpeg
// open `file:///anything`, and the frames of that file would become this asset's preview. So:
//  1. the agent opens the validated source itself, read-only, and hands the child its
//     descriptor as fd 3; ffmpeg reads `file:/dev/fd/3`, never a path it could be lured from;
//  2. `-protocol_whitelist file` keeps every network/indirection protocol (http, tcp, subfile,
//     concat, crypto, data, hls…) out of reach, for the input and anything it would open;
//  3. `-format_whitelist` admits only self-contained demuxers, so playlists and other
//     indirection formats (hls, concat, dash, imf, image2 patterns…) are refused before they
//     read a single entry. A refusal is final (non-retryable) and says why.
// On Windows there is no /dev/fd: the validated path is passed, with the same two whitelists.
import { closeSync, constants as fsConstants, fstatSync, openSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { ProcessingError } from '../processor.js';
import { sniffFile } from './content-sniff.js';
import { FFMPEG_ERROR_CODES, supervise, type Supervised } from './ffmpeg-process.js';

/** Image demuxers: a source they match is a picture, whatever its name says. */
const IMAGE_DEMUXER_NAMES = ['jpeg_pipe', 'png_pipe', 'webp_pipe', 'tiff_pipe', 'bmp_pipe', 'gif'];
export const IMAGE_DEMUXERS: ReadonlySet<string> = new Set(IMAGE_DEMUXER_NAMES);

/**
 * Demuxers ffmpeg may use on a source: containers and elementary streams that read only the
 * bytes they are given. The image ones are there so a mislabelled photo is recognised (and
 * refused with its real name) rather than reported as unreadable.
 */
// prettier-ignore
export const ALLOWED_DEMUXERS: readonly string[] = [
  // video containers and elementary streams
  'mov', 'matroska', 'webm', 'avi', 'mpegts', 'mpeg', 'mpegvideo', 'mxf', 'flv', 'asf', 'dv',
  'ogg', 'gxf', 'r3d', 'nut', 'm4v', 'h264', 'hevc', 'ivf', 'obu', 'rm', 'wtv', 'vc1',
  // audio
  'wav', 'w64', 'aiff', 'caf', 'mp3', 'flac', 'aac', 'ac3', 'eac3', 'dts', 'dtshd', 'truehd',
  'mlp', 'amr', 'wv', 'ape', 'tta', 'dsf', 'au', 'loas', 'mpc', 'mpc8', 'xwma', 'oma', 'tak',
  ...IMAGE_DEMUXER_NAMES,
];

/** The only protocol the input may use (the descriptor is opened through it). */
export const INPUT_PROTOCOLS = 'file';

const USE_DESCRIPTOR = process.platform !== 'win32';
/** The child's descriptor number that carries the source. */
const SOURCE_FD = 3;
const DESCRIPTOR_URL = `file:/dev/fd/${SOURCE_FD}`;

/** The ffmpeg/ffprobe input options for the validated source (place them where `-i` goes). */
export function sourceInputArgs(sourcePath: string): string[] {
  return [
    '-protocol_whitelist',
    INPUT_PROTOCOLS,
    '-format_whitelist',
    ALLOWED_DEMUXERS.join(','),
    '-i',
    USE_DESCRIPTOR ? DESCRIPTOR_URL : `file:${sourcePath}`,
  ];
}

/**
 * Checks that `args` read nothing but the source: exactly one `-i`, the one sourceInputArgs()
 * built. Guards against a caller re-introducing a raw path.
 */
export function assertSourceIsOnlyInput(args: readonly string[], sourcePath: string): void {
  const expected = sourceInputArgs(sourcePath);
  const url = expected[expected.length - 1];
  const inputs = args.flatMap((a, i) => (a === '-i' ? [args[i + 1]] : []));
  const at = args.indexOf('-protocol_whitelist');
  const wellFormed =
    inputs.length === 1 &&
    inputs[0] === url &&
    at >= 0 &&
    expected.every((e, k) => args[at + k] === e);
  if (!wellFormed)
    throw new Error('ffmpeg arguments must read the source through sourceInputArgs()');
}

/**
 * Opens the source read-only for one child process and returns the descriptor to hand it
 * (undefined on Windows). One open per child: on macOS /dev/fd dups the descriptor, and two
 * children sharing one file offset would corrupt each other's reads.
 */
export function openSourceForChild(sourcePath: string): number | undefined {
  if (!USE_DESCRIPTOR) return undefined;
  let fd: number;
  try {
    // O_NOFOLLOW: the path was resolved and validated; a symlink appearing there since is refused.
    // O_NONBLOCK: a FIFO put in its place cannot hang us (and is refused below).
    fd = openSync(
      sourcePath,
      fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0),
    );
  } catch (err) {
    throw unreadable(sourcePath, (err as Error).message, err);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new Error('not a regular file');
  } catch (err) {
    closeSync(fd);
    throw unreadable(sourcePath, (err as Error).message, err);
  }
  return fd;
}

/**
 * Spawns ffmpeg/ffprobe on the source: checks `args` read only the source, hands the child a
 * fresh read-only descriptor and closes ours once the child has its copy.
 */
export function superviseOnSource(
  bin: string,
  args: string[],
  sourcePath: string,
  signal: AbortSignal | undefined,
  extraPipes = 0,
): Supervised {
  assertSourceIsOnlyInput(args, sourcePath);
  const fd = openSourceForChild(sourcePath);
  try {
    return supervise(bin, args, signal, fd, extraPipes);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function unreadable(path: string, why: string, cause: unknown): ProcessingError {
  return new ProcessingError(
    FFMPEG_ERROR_CODES.unreadable,
    `Cannot open ${basename(path)}: ${why}`,
    false,
    { cause },
  );
}

/** Refuses zero-byte and missing files up front with a clear, non-retryable message. */
export function assertReadableMediaFile(path: string): { sizeBytes: number } {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (err) {
    throw unreadable(path, (err as Error).message, err);
  }
  if (size === 0) {
    throw new ProcessingError(
      FFMPEG_ERROR_CODES.empty,
      `Empty file (0 bytes): ${basename(path)}. Nothing to process; the copy was probably interrupted.`,
      false,
    );
  }
  return { sizeBytes: size };
}

/**
 * Explains why ffmpeg/ffprobe could not read a source, when the reason is the source's nature:
 * a playlist or other indirection format (refused through `-format_whitelist`, or recognised
 * by its first bytes), or a picture/document wearing a media extension. Undefined otherwise.
 */
export function explainSourceFailure(path: string, stderr: string): ProcessingError | undefined {
  const kind = sniffFile(path);
  if (kind?.indirection || /not on whitelist/i.test(stderr)) {
    const what = kind?.indirection
      ? `${kind.label}, a list of other files or addresses to read`
      : 'a format that can make ffmpeg read other files (playlist or indirection)';
    return new ProcessingError(
      FFMPEG_ERROR_CODES.refused,
      `Refused ${basename(path)}: this is ${what}, not a media file. The agent only reads the ` +
        'file it was given, so playlists, concat lists and manifests are never opened.',
      false,
    );
  }
  return kind ? mislabelled(path) : undefined;
}

/** The error for a source whose content is a picture or document, not audio/video. */
export function mislabelled(path: string, detectedFormat?: string): ProcessingError {
  const kind = sniffFile(path);
  const ext = extname(path) || '(no extension)';
  const label = kind?.label ?? `an image (${detectedFormat ?? 'unknown format'})`;
  const rename = kind?.extension ? ` Rename it to .${kind.extension} to process it as such.` : '';
  return new ProcessingError(
    FFMPEG_ERROR_CODES.mislabelled,
    `This is ${label} named ${ext}, not audio or video: ${basename(path)}.${rename}`,
    false,
  );
}
