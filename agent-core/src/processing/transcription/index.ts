// Public surface of local transcription (whisper.cpp) for the daemon, CLI and preferences.
export { Transcriber, TRANSCRIPTION_ERROR_CODES, WHISPER_SAMPLE_RATE } from './transcriber.js';
export type { TranscriberOptions, TranscribeOptions, TranscribeResult } from './transcriber.js';
export { TranscriberCache } from './transcriber-cache.js';
export type { TranscriberCacheOptions } from './transcriber-cache.js';
export { ModelStore, ModelStoreError } from './model-store.js';
export type { InstalledModel, ModelStoreOptions } from './model-store.js';
export { WHISPER_MODEL_CATALOGUE } from './model-catalogue.js';
export type { ModelCatalogueEntry } from './model-catalogue.js';
export { ModelDownloadError } from './model-download.js';
export type { DownloadProgress } from './model-download.js';
export { readGgmlWhisperHeader, InvalidModelFileError } from './ggml-model-header.js';
export type { GgmlWhisperHeader } from './ggml-model-header.js';
export {
  detectTranscriptionCapabilities,
  TRANSCRIPTION_CAPABILITIES,
} from './transcription-capabilities.js';
export type { TranscriptionCapabilityOptions } from './transcription-capabilities.js';
export { createTranscriptionProcessor } from './transcribe-audio-processor.js';
export type {
  TranscriptionProcessor,
  TranscriptionProcessorOptions,
} from './transcribe-audio-processor.js';
export { loadWhisperAddon } from './whisper-addon.js';
