// Media type by file extension, and which extensions are sidecars of which media (docs/asset-states.md).
import {
  extensionOf as sharedExtensionOf,
  mediaTypeFromExtension,
  type MediaType,
} from '@retaia/protocol';

/** Extension without its dot, lower case ("mp4"), as the sidecar rules below use it. */
export function extensionOf(name: string): string {
  return sharedExtensionOf(name).slice(1);
}

export function baseNameOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? name : name.slice(0, dot);
}

export function mediaTypeOf(name: string): MediaType | undefined {
  return mediaTypeFromExtension(name);
}

export function sidecarExtensions(mediaType: MediaType, videoProxySidecars: boolean): string[] {
  if (mediaType === 'PHOTO') return ['xmp'];
  if (mediaType === 'VIDEO')
    return videoProxySidecars ? ['srt', 'lrf', 'lrv', 'thm'] : ['srt', 'lrf'];
  return [];
}

/** Every extension that can be a sidecar, so sidecars are not counted as unknown files. */
export const ALL_SIDECAR_EXTENSIONS = new Set(['xmp', 'srt', 'lrf', 'lrv', 'thm']);
