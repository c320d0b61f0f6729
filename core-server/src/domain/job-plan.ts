// Which review jobs an asset needs (docs/asset-states.md#profiles-and-the-jobs-they-plan). Pure: the store calls it when
// an asset becomes READY and again after each completed job, and creates whatever is missing —
// that is how a video gets its waveform job once its facts show an audio track.
import {
  FEATURE_FLAGS,
  type FactsPatch,
  type FeatureFlags,
  type JobType,
  type MediaType,
  type ProcessingProfile,
} from '@retaia/protocol';

export function plannedJobTypes(
  mediaType: MediaType,
  profile: ProcessingProfile,
  facts: FactsPatch,
  flags: FeatureFlags,
): JobType[] {
  const transcribeOn = flags[FEATURE_FLAGS.transcribeAudio] === true;
  switch (mediaType) {
    case 'PHOTO':
      return ['extract_facts', 'generate_preview'];
    case 'AUDIO': {
      const jobs: JobType[] = ['extract_facts', 'generate_preview', 'generate_audio_waveform'];
      if (profile === 'audio_voice' && transcribeOn) jobs.push('transcribe_audio');
      return jobs;
    }
    case 'VIDEO': {
      const jobs: JobType[] = ['extract_facts', 'generate_preview', 'generate_thumbnails'];
      if (facts.audio_codec) {
        jobs.push('generate_audio_waveform');
        if (transcribeOn) jobs.push('transcribe_audio');
      }
      return jobs;
    }
  }
}

export function defaultProfile(mediaType: MediaType): ProcessingProfile {
  return mediaType === 'VIDEO'
    ? 'video_standard'
    : mediaType === 'PHOTO'
      ? 'photo_standard'
      : 'audio_undefined';
}
