// Declares the transcription capabilities only while they are real: engine addon present, ffmpeg
// found, and the active model actually loads. The daemon calls this at start-up and after any
// model change, and re-registers with the result (a removed model withdraws the capabilities).
import { CAPABILITIES } from '@retaia/protocol';
import { resolveFfmpegBinaries, type FfmpegPathOptions } from '../tools/ffmpeg.js';
import type { ModelStore } from './model-store.js';
import { loadWhisperAddon, type WhisperAddonLoad } from './whisper-addon.js';
import { TranscriberCache } from './transcriber-cache.js';

export interface TranscriptionCapabilityOptions {
  modelStore: ModelStore;
  /** Share the processor's cache so the probe load is the one jobs then use. */
  transcribers?: TranscriberCache;
  ffmpeg?: FfmpegPathOptions;
  loadAddon?: () => WhisperAddonLoad;
}

export const TRANSCRIPTION_CAPABILITIES = [
  CAPABILITIES.transcription,
  CAPABILITIES.transcriptionWhisperCpp,
] as const;

export async function detectTranscriptionCapabilities(
  opts: TranscriptionCapabilityOptions,
): Promise<{ capabilities: string[]; problems: string[] }> {
  const problems: string[] = [];
  const addon = (opts.loadAddon ?? loadWhisperAddon)();
  if (!addon.addon) problems.push(addon.problem);
  try {
    resolveFfmpegBinaries(opts.ffmpeg);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length) return { capabilities: [], problems };

  const own = !opts.transcribers;
  const cache =
    opts.transcribers ??
    new TranscriberCache({
      modelStore: opts.modelStore,
      ...(opts.loadAddon ? { loadAddon: opts.loadAddon } : {}),
    });
  try {
    await cache.acquire();
    return { capabilities: [...TRANSCRIPTION_CAPABILITIES], problems };
  } catch (err) {
    return { capabilities: [], problems: [(err as Error).message] };
  } finally {
    if (own) await cache.close();
  }
}
