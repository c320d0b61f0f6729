// The processors and capability detection a daemon uses unless told otherwise: the media
// registry, plus local transcription when its engine and a model are present. Transcription is
// loaded lazily and isolated: if its module cannot load, the daemon still runs media jobs and
// reports why transcription is unavailable.
import type { JobType } from '@retaia/protocol';
import type { Processor } from '../processing/processor.js';
import { createProcessors, detectMediaCapabilities } from '../processing/registry.js';

export interface DefaultProcessing {
  processors: Map<JobType, Processor>;
  detectCapabilities(): Promise<{ capabilities: string[]; problems: string[] }>;
  close(): Promise<void>;
}

export async function createDefaultProcessing(dataDir: string): Promise<DefaultProcessing> {
  const processors = createProcessors();
  let detectTranscription: () => Promise<{ capabilities: string[]; problems: string[] }>;
  let closeTranscription = async () => {};
  try {
    const { ModelStore } = await import('../processing/transcription/model-store.js');
    const { TranscriberCache } = await import('../processing/transcription/transcriber-cache.js');
    const { createTranscriptionProcessor } =
      await import('../processing/transcription/transcribe-audio-processor.js');
    const { detectTranscriptionCapabilities } =
      await import('../processing/transcription/transcription-capabilities.js');
    const modelStore = new ModelStore({ dataDir });
    const transcribers = new TranscriberCache({ modelStore });
    const processor = createTranscriptionProcessor({ modelStore, transcribers });
    processors.set('transcribe_audio', processor);
    detectTranscription = () => detectTranscriptionCapabilities({ modelStore, transcribers });
    closeTranscription = () => processor.close();
  } catch (err) {
    const problem = `transcription unavailable: ${(err as Error).message}`;
    detectTranscription = async () => ({ capabilities: [], problems: [problem] });
  }
  return {
    processors,
    async detectCapabilities() {
      const [media, speech] = await Promise.all([detectMediaCapabilities(), detectTranscription()]);
      return {
        capabilities: [...media.capabilities, ...speech.capabilities],
        problems: [...media.problems, ...speech.problems],
      };
    },
    close: () => closeTranscription(),
  };
}
