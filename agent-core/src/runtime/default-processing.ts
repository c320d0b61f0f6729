// The processors and capability detection a daemon uses unless told otherwise: the media
// registry, plus local transcription when its engine and a model are present. Transcription is
// loaded lazily and isolated: if its module cannot load, the daemon still runs media jobs and
// reports why transcription is unavailable.
import { join } from 'node:path';
import type { JobType } from '@retaia/protocol';
import type { VideoEncoderMode } from '../processing/preview/video-encoder.js';
import type { Processor } from '../processing/processor.js';
import {
  createProcessors,
  detectMediaCapabilities,
  type CreateProcessorsOptions,
} from '../processing/registry.js';
import type { FfmpegPathOptions } from '../processing/tools/ffmpeg.js';
import type { InstalledModel } from '../processing/transcription/model-store.js';
import type { WhisperAddonLoad } from '../processing/transcription/whisper-addon.js';

export interface DefaultProcessing {
  processors: Map<JobType, Processor>;
  detectCapabilities(): Promise<{ capabilities: string[]; problems: string[] }>;
  /** Installed whisper models (empty when transcription could not load). */
  listModels(): Promise<{ dir?: string; models: InstalledModel[]; problem?: string }>;
  close(): Promise<void>;
}

export interface DefaultProcessingOptions {
  /**
   * The configured ffmpeg/ffprobe paths, read again at each job and each detection so a config
   * change applies without a restart (see resolveFfmpegBinaries for the resolution order).
   */
  toolPaths?: () => FfmpegPathOptions;
  /** Replaces the whisper.cpp addon loader (tests on machines without the engine). */
  loadWhisperAddon?: () => WhisperAddonLoad;
  /** The configured video encoder mode, read at each video preview. */
  videoEncoder?: () => VideoEncoderMode;
}

export async function createDefaultProcessing(
  dataDir: string,
  opts: DefaultProcessingOptions = {},
): Promise<DefaultProcessing> {
  const toolPaths: () => FfmpegPathOptions = opts.toolPaths ?? (() => ({}));
  // Processors keep a reference to this object and resolve the binaries per job: getters make
  // them see the config in force at that moment.
  const media: CreateProcessorsOptions = Object.defineProperties(
    { videoEncoderCacheFile: join(dataDir, 'video-encoder.json') },
    {
      ffmpegPath: { enumerable: true, get: () => toolPaths().ffmpegPath },
      ffprobePath: { enumerable: true, get: () => toolPaths().ffprobePath },
      videoEncoder: { enumerable: true, get: () => opts.videoEncoder?.() ?? 'auto' },
    },
  );
  const processors = createProcessors(media);
  let detectTranscription: () => Promise<{ capabilities: string[]; problems: string[] }>;
  let listModels: DefaultProcessing['listModels'];
  let closeTranscription = async () => {};
  try {
    const { ModelStore } = await import('../processing/transcription/model-store.js');
    const { TranscriberCache } = await import('../processing/transcription/transcriber-cache.js');
    const { createTranscriptionProcessor } =
      await import('../processing/transcription/transcribe-audio-processor.js');
    const { detectTranscriptionCapabilities } =
      await import('../processing/transcription/transcription-capabilities.js');
    const loadAddon = opts.loadWhisperAddon ? { loadAddon: opts.loadWhisperAddon } : {};
    const modelStore = new ModelStore({ dataDir });
    const transcribers = new TranscriberCache({ modelStore, ...loadAddon });
    const processor = createTranscriptionProcessor({
      modelStore,
      transcribers,
      ffmpeg: media,
      ...loadAddon,
    });
    processors.set('transcribe_audio', processor);
    detectTranscription = () =>
      detectTranscriptionCapabilities({
        modelStore,
        transcribers,
        ffmpeg: toolPaths(),
        ...loadAddon,
      });
    listModels = async () => ({ dir: modelStore.dir, models: await modelStore.listModels() });
    closeTranscription = () => processor.close();
  } catch (err) {
    const problem = `transcription unavailable: ${(err as Error).message}`;
    detectTranscription = async () => ({ capabilities: [], problems: [problem] });
    listModels = async () => ({ models: [], problem });
  }
  return {
    processors,
    async detectCapabilities() {
      const [mediaCaps, speech] = await Promise.all([
        detectMediaCapabilities(toolPaths()),
        detectTranscription(),
      ]);
      return {
        capabilities: [...mediaCaps.capabilities, ...speech.capabilities],
        problems: [...mediaCaps.problems, ...speech.problems],
      };
    },
    listModels,
    close: () => closeTranscription(),
  };
}
