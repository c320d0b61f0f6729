// Keeps the active model loaded between jobs (loading a real model takes seconds and hundreds of
// MB), reloads when the user switches or removes it, and is shared by capability detection and
// the processor so the model is loaded once per process.
import { ProcessingError } from '../processor.js';
import type { ModelStore } from './model-store.js';
import { Transcriber, TRANSCRIPTION_ERROR_CODES, type TranscriberOptions } from './transcriber.js';

export interface TranscriberCacheOptions {
  modelStore: ModelStore;
  threads?: number;
  loadAddon?: TranscriberOptions['loadAddon'];
}

export class TranscriberCache {
  private current: { key: string; loading: Promise<Transcriber> } | undefined;

  constructor(private readonly opts: TranscriberCacheOptions) {}

  /**
   * The Transcriber for the store's active model, loading it if needed. Throws a retryable
   * MODEL_MISSING when no usable model is configured, or the Transcriber.load errors.
   */
  async acquire(): Promise<Transcriber> {
    const model = await this.opts.modelStore.activeModel();
    if (!model || !model.available) {
      await this.release();
      throw new ProcessingError(
        TRANSCRIPTION_ERROR_CODES.modelMissing,
        model
          ? `active whisper model "${model.name}" is unusable: ${model.problem ?? 'unavailable'}`
          : 'no whisper model installed: download one (`retaia-agent models download base`) or add a ggml model file',
        true,
      );
    }
    const key = `${model.path}\0${model.sha256}`;
    if (this.current?.key !== key) {
      await this.release();
      const loading = Transcriber.load({
        modelPath: model.path,
        ...(this.opts.threads ? { threads: this.opts.threads } : {}),
        ...(this.opts.loadAddon ? { loadAddon: this.opts.loadAddon } : {}),
      });
      this.current = { key, loading };
      // A failed load must not be cached: the next acquire retries.
      loading.catch(() => {
        if (this.current?.loading === loading) this.current = undefined;
      });
    }
    return this.current.loading;
  }

  /** Frees the loaded model (waits for a running transcription). */
  async release(): Promise<void> {
    const cur = this.current;
    this.current = undefined;
    if (cur) await (await cur.loading.catch(() => undefined))?.close();
  }

  close(): Promise<void> {
    return this.release();
  }
}
