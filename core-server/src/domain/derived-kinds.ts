// Which derived kinds each job type may publish and which content types each kind accepts.
import type { DerivedKind, JobType, MediaType } from '@retaia/protocol';

export const CONTENT_TYPES: Record<DerivedKind, string[]> = {
  preview_video: ['video/mp4'],
  preview_audio: ['audio/mp4', 'audio/mpeg'],
  preview_photo: ['image/webp', 'image/jpeg'],
  thumb: ['image/webp', 'image/jpeg'],
  waveform: ['application/json'],
};

const EXTENSIONS: Record<string, string> = {
  'video/mp4': 'mp4',
  'audio/mp4': 'm4a',
  'audio/mpeg': 'mp3',
  'image/webp': 'webp',
  'image/jpeg': 'jpg',
  'application/json': 'json',
};

export function extensionFor(contentType: string): string {
  return EXTENSIONS[contentType] ?? 'bin';
}

/** The kinds a submit of `jobType` may reference for an asset of `mediaType`. */
export function kindsForJob(jobType: JobType, mediaType: MediaType): DerivedKind[] {
  switch (jobType) {
    case 'generate_preview':
      return [
        mediaType === 'VIDEO'
          ? 'preview_video'
          : mediaType === 'AUDIO'
            ? 'preview_audio'
            : 'preview_photo',
      ];
    case 'generate_thumbnails':
      return ['thumb'];
    case 'generate_audio_waveform':
      return ['waveform'];
    default:
      return [];
  }
}

/** Kinds served with byte ranges (audio and video previews). */
export function isRangeCapable(kind: DerivedKind): boolean {
  return kind === 'preview_video' || kind === 'preview_audio';
}
