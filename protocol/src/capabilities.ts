// Which capability an agent must declare for each job type (docs/protocol.md#job-types-and-outputs), and which feature flag
// gates it. Core uses this to plan `required_capabilities`; the agent uses it to decide what it
// may claim. Matching is a strict superset check.
import type { JobType, MediaType } from './wire.js';

export const CAPABILITIES = {
  facts: 'media.facts@1',
  previewVideo: 'media.previews.video@1',
  previewAudio: 'media.previews.audio@1',
  previewPhoto: 'media.previews.photo@1',
  thumbnails: 'media.thumbnails@1',
  waveform: 'audio.waveform@1',
  transcription: 'speech.transcription@1',
  transcriptionWhisperCpp: 'speech.transcription.local.whispercpp@1',
} as const;

export const FEATURE_FLAGS = {
  transcribeAudio: 'features.ai.transcribe_audio',
  suggestTags: 'features.ai.suggest_tags',
} as const;

/** Capabilities Core requires for a job of this type on an asset of this media type. */
export function requiredCapabilities(jobType: JobType, mediaType: MediaType): string[] {
  switch (jobType) {
    case 'extract_facts':
      return [CAPABILITIES.facts];
    case 'generate_preview':
      return [
        mediaType === 'VIDEO'
          ? CAPABILITIES.previewVideo
          : mediaType === 'AUDIO'
            ? CAPABILITIES.previewAudio
            : CAPABILITIES.previewPhoto,
      ];
    case 'generate_thumbnails':
      return [CAPABILITIES.thumbnails];
    case 'generate_audio_waveform':
      return [CAPABILITIES.waveform];
    case 'transcribe_audio':
      return [CAPABILITIES.transcription, CAPABILITIES.transcriptionWhisperCpp];
  }
}

/** Feature flag that must be on for this job type to be planned or claimed, if any. */
export function featureFlagFor(jobType: JobType): string | undefined {
  return jobType === 'transcribe_audio' ? FEATURE_FLAGS.transcribeAudio : undefined;
}

export function hasAllCapabilities(
  offered: Iterable<string>,
  required: readonly string[],
): boolean {
  const set = new Set(offered);
  return required.every((c) => set.has(c));
}
