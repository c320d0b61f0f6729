// Decides whether a source is a video, photo or audio asset when the job does not say.
import {
  mediaTypeFromExtension as sharedMediaTypeFromExtension,
  type MediaType,
} from '@retaia/protocol';
import type { ProbeResult, ProbeStream } from './tools/ffmpeg.js';

export { RAW_EXTENSIONS, HEIF_EXTENSIONS, PHOTO_EXTENSIONS } from '@retaia/protocol';

/**
 * Photo or audio by extension (video is recognised by probing, since containers like .mp4 can
 * hold audio only).
 */
export function mediaTypeFromExtension(path: string): MediaType | undefined {
  const type = sharedMediaTypeFromExtension(path);
  return type === 'VIDEO' ? undefined : type;
}

/** A real moving-picture stream: not cover art, not a single still. */
export function isMotionVideo(s: ProbeStream): boolean {
  return (
    s.codec_type === 'video' &&
    !s.disposition?.attached_pic &&
    s.codec_name !== 'mjpeg' &&
    s.codec_name !== 'png'
  );
}

export function mediaTypeFromProbe(probe: ProbeResult): MediaType | undefined {
  if (probe.streams.some(isMotionVideo)) return 'VIDEO';
  if (probe.streams.some((s) => s.codec_type === 'audio')) return 'AUDIO';
  if (probe.streams.some((s) => s.codec_type === 'video')) return 'PHOTO';
  return undefined;
}
