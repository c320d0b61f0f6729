// Whisper models managed from Preferences: the same ModelStore code and catalogue as
// `retaia-agent models …` (openModelStore), edited on disk by the main process, after which the
// daemon is asked to re-detect its capabilities, exactly as the CLI does. The renderer passes
// model names only; a model file is chosen in the main process's own dialog.
import { openModelStore } from '@retaia/agent-core/processing/transcription/open-model-store.js';
import type { ModelStore } from '@retaia/agent-core/processing/transcription/model-store.js';
import type {
  BridgeEvent,
  BridgeHandlers,
  ModelChange,
  ModelDownloadState,
} from '../shared/bridge-api.js';
import type { DaemonControl } from '@retaia/agent-core/runtime/control-protocol.js';

export interface ModelHandlerDeps {
  /** The daemon's data dir: models live in `<dataDir>/models/whisper`. */
  agentDataDir(): string;
  daemon(): DaemonControl;
  /** Shows the native open dialog; undefined when the user cancels. */
  pickModelFile(): Promise<string | undefined>;
  send(event: BridgeEvent): void;
}

export type ModelHandlers = Pick<
  BridgeHandlers,
  | 'getModelCatalogue'
  | 'downloadModel'
  | 'cancelModelDownload'
  | 'addModelFile'
  | 'useModel'
  | 'removeModel'
>;

export class ModelRequestError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'ModelRequestError';
  }
}

// Progress events are for a human watching a bar: a few per second is plenty.
const PROGRESS_EVERY_MS = 250;

function modelName(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64)
    throw new ModelRequestError('Choose a model by its name.');
  return value;
}

export function createModelHandlers(deps: ModelHandlerDeps): ModelHandlers {
  let current: { abort: AbortController; state: ModelDownloadState } | undefined;
  let last: ModelDownloadState | undefined;
  // One store for the app, so its in-process lock serializes every inventory change.
  let opened: Promise<ModelStore> | undefined;
  const openStore = (): Promise<ModelStore> => {
    opened ??= openModelStore(deps.agentDataDir()).catch((err: unknown) => {
      opened = undefined;
      throw err;
    });
    return opened;
  };

  const publish = (state: ModelDownloadState) => {
    last = state;
    deps.send({ type: 'model_download', download: state });
  };

  /** The inventory now, plus the daemon's re-detection (a failure there is reported, not thrown). */
  const afterChange = async (): Promise<ModelChange> => {
    const store = await openStore();
    const models = { dir: store.dir, models: await store.listModels() };
    try {
      await deps.daemon().refreshCapabilities();
      return { models };
    } catch (err) {
      return {
        models,
        daemonProblem: `The agent daemon could not re-detect its models now (${(err as Error).message}); it will use the change when it starts.`,
      };
    }
  };

  return {
    getModelCatalogue: async () => {
      const store = await openStore();
      const installed = new Set(
        (await store.listModels()).filter((m) => m.available).map((m) => m.name),
      );
      return {
        items: store.catalogue().map((c) => ({
          name: c.name,
          description: c.description,
          sizeBytes: c.sizeBytes,
          installed: installed.has(c.name),
        })),
        ...(current ? { download: current.state } : last ? { download: last } : {}),
      };
    },

    downloadModel: async (rawName) => {
      const name = modelName(rawName);
      const store = await openStore();
      if (!store.catalogue().some((c) => c.name === name))
        throw new ModelRequestError(`"${name}" is not in the list of downloadable models.`);
      if (current)
        throw new ModelRequestError(
          `The model "${current.state.name}" is downloading; wait for it or cancel it first.`,
        );
      const abort = new AbortController();
      const job = {
        abort,
        state: { name, state: 'downloading', receivedBytes: 0 } as ModelDownloadState,
      };
      current = job;
      publish(job.state);
      let lastSent = 0;
      try {
        await store.download(name, {
          signal: abort.signal,
          onProgress: (p) => {
            job.state = {
              name,
              state: 'downloading',
              receivedBytes: p.receivedBytes,
              ...(p.totalBytes ? { totalBytes: p.totalBytes } : {}),
              ...(p.percent !== undefined ? { percent: p.percent } : {}),
            };
            const now = Date.now();
            if (now - lastSent >= PROGRESS_EVERY_MS || p.percent === 100) {
              lastSent = now;
              publish(job.state);
            }
          },
        });
      } catch (err) {
        const canceled = abort.signal.aborted;
        const message = canceled
          ? 'Download canceled. Starting it again resumes where it stopped.'
          : `Download of "${name}" failed: ${(err as Error).message}`;
        publish({ ...job.state, state: canceled ? 'canceled' : 'failed', message });
        throw new ModelRequestError(message);
      } finally {
        current = undefined;
      }
      publish({ ...job.state, state: 'done', percent: 100 });
      return afterChange();
    },

    cancelModelDownload: async () => {
      current?.abort.abort();
    },

    addModelFile: async () => {
      const path = await deps.pickModelFile();
      if (!path) return { canceled: true };
      const store = await openStore();
      try {
        await store.addModelFile(path);
      } catch (err) {
        throw new ModelRequestError(
          `This file cannot be used as a whisper model: ${(err as Error).message}`,
        );
      }
      return afterChange();
    },

    useModel: async (rawName) => {
      const store = await openStore();
      await store.setActive(modelName(rawName));
      return afterChange();
    },

    removeModel: async (rawName) => {
      const store = await openStore();
      await store.removeModel(modelName(rawName));
      return afterChange();
    },
  };
}
