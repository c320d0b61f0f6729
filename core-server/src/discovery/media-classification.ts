// Media type by file extension, and which extensions are sidecars of which media (SPEC §6).
import type { MediaType } from '@retaia/protocol';

const BY_EXTENSION: Record<string, MediaType> = {};
for (const e of ['mp4', 'mov', 'm4v', 'mxf', 'mkv', 'avi', 'mts', 'm2ts', '3gp', 'webm', 'insv'])
  BY_EXTENSION[e] = 'VIDEO';
for (const e of [
  'jpg',
  'jpeg',
  'png',
  'heic',
  'heif',
  'tif',
  'tiff',
  'webp',
  'dng',
  'cr2',
  'cr3',
  'nef',
  'arw',
  'raf',
  'orf',
  'rw2',
])
  BY_EXTENSION[e] = 'PHOTO';
for (const e of ['wav', 'mp3', 'm4a', 'aac', 'flac', 'ogg', 'opus', 'aif', 'aiff', 'wma'])
  BY_EXTENSION[e] = 'AUDIO';

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}

export function baseNameOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? name : name.slice(0, dot);
}

export function mediaTypeOf(name: string): MediaType | undefined {
  return BY_EXTENSION[extensionOf(name)];
}

export function sidecarExtensions(mediaType: MediaType, videoProxySidecars: boolean): string[] {
  if (mediaType === 'PHOTO') return ['xmp'];
  if (mediaType === 'VIDEO')
    return videoProxySidecars ? ['srt', 'lrf', 'lrv', 'thm'] : ['srt', 'lrf'];
  return [];
}

/** Every extension that can be a sidecar, so sidecars are not counted as unknown files. */
export const ALL_SIDECAR_EXTENSIONS = new Set(['xmp', 'srt', 'lrf', 'lrv', 'thm']);
