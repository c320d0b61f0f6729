// Decides whether a source is a video, photo or audio asset when the job does not say.
import { extname } from 'node:path';
import type { MediaType } from '@retaia/protocol';
import type { ProbeResult, ProbeStream } from './tools/ffmpeg.js';

/** Camera RAW files: published through their embedded JPEG preview. */
export const RAW_EXTENSIONS = new Set([
  '.dng',
  '.cr2',
  '.cr3',
  '.nef',
  '.nrw',
  '.arw',
  '.srf',
  '.sr2',
  '.raf',
  '.orf',
  '.rw2',
  '.pef',
  '.srw',
  '.x3f',
  '.3fr',
  '.iiq',
]);
export const PHOTO_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.png',
  '.tif',
  '.tiff',
  '.webp',
  '.heic',
  '.heif',
  '.avif',
  '.gif',
  ...RAW_EXTENSIONS,
]);
export const HEIF_EXTENSIONS = new Set(['.heic', '.heif']);

const AUDIO_EXTENSIONS = new Set([
  '.wav',
  '.bwf',
  '.mp3',
  '.m4a',
  '.aac',
  '.flac',
  '.ogg',
  '.opus',
  '.aif',
  '.aiff',
  '.wma',
]);

export function mediaTypeFromExtension(path: string): MediaType | undefined {
  const ext = extname(path).toLowerCase();
  if (PHOTO_EXTENSIONS.has(ext)) return 'PHOTO';
  if (AUDIO_EXTENSIONS.has(ext)) return 'AUDIO';
  return undefined;
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
