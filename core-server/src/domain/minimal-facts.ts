// The minimum facts an asset needs before it can leave review processing (docs/protocol.md#job-types-and-outputs).
import type { FactsPatch, MediaType } from '@retaia/protocol';

const REQUIRED: Record<MediaType, (keyof FactsPatch)[]> = {
  PHOTO: ['media_format', 'width', 'height'],
  AUDIO: ['duration_ms', 'media_format', 'audio_codec'],
  VIDEO: ['duration_ms', 'media_format', 'video_codec', 'width', 'height', 'fps'],
};

export function missingMinimalFacts(mediaType: MediaType, facts: FactsPatch): string[] {
  return REQUIRED[mediaType].filter((k) => facts[k] === undefined || facts[k] === null);
}
