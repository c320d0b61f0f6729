// One table of which file extensions are video, photo or audio, shared by Core (discovery
// decides the media type and the profile) and the agent (which must agree when a job does not
// carry its media type). Extensions are lower case, with the leading dot.
import type { MediaType } from './wire.js';

/** Camera RAW files: agents publish them through their embedded JPEG preview. */
export const RAW_EXTENSIONS: ReadonlySet<string> = new Set(
  [
    'dng',
    'cr2',
    'cr3',
    'nef',
    'nrw',
    'arw',
    'srf',
    'sr2',
    'raf',
    'orf',
    'rw2',
    'pef',
    'srw',
    'x3f',
    '3fr',
    'iiq',
  ].map((e) => `.${e}`),
);
export const HEIF_EXTENSIONS: ReadonlySet<string> = new Set(['.heic', '.heif']);

export const VIDEO_EXTENSIONS: ReadonlySet<string> = new Set(
  ['mp4', 'mov', 'm4v', 'mxf', 'mkv', 'avi', 'mts', 'm2ts', '3gp', 'webm', 'insv'].map(
    (e) => `.${e}`,
  ),
);
export const PHOTO_EXTENSIONS: ReadonlySet<string> = new Set([
  ...['jpg', 'jpeg', 'png', 'tif', 'tiff', 'webp', 'avif', 'gif'].map((e) => `.${e}`),
  ...HEIF_EXTENSIONS,
  ...RAW_EXTENSIONS,
]);
export const AUDIO_EXTENSIONS: ReadonlySet<string> = new Set(
  ['wav', 'bwf', 'mp3', 'm4a', 'aac', 'flac', 'ogg', 'opus', 'aif', 'aiff', 'wma'].map(
    (e) => `.${e}`,
  ),
);

/** ".mp4" for "a/b/Clip.MP4"; "" when the name has no extension (or is a dot-file). */
export function extensionOf(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot).toLowerCase();
}

export function mediaTypeFromExtension(name: string): MediaType | undefined {
  const ext = extensionOf(name);
  if (VIDEO_EXTENSIONS.has(ext)) return 'VIDEO';
  if (PHOTO_EXTENSIONS.has(ext)) return 'PHOTO';
  if (AUDIO_EXTENSIONS.has(ext)) return 'AUDIO';
  return undefined;
}
