// Which processors can share a pass: the review job types of a video, registered by registry.ts
// against the ReviewPass they join. The scheduler asks passOf() to know what it may claim together.
import type { JobType } from '@retaia/protocol';
import type { Processor } from '../processor.js';
import type { ReviewPass } from './review-pass.js';

export type PassJobType = 'generate_preview' | 'generate_thumbnails' | 'generate_audio_waveform';

export const PASS_JOB_TYPES: ReadonlySet<JobType> = new Set<JobType>([
  'generate_preview',
  'generate_thumbnails',
  'generate_audio_waveform',
]);

const passes = new WeakMap<Processor, ReviewPass>();

/** Records that `processor` can join `pass`. */
export function joinPass(processor: Processor, pass: ReviewPass): void {
  passes.set(processor, pass);
}

/** The shared pass `processor` can run in, if any. */
export function passOf(processor: Processor | undefined): ReviewPass | undefined {
  return processor ? passes.get(processor) : undefined;
}
