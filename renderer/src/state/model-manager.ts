// Whisper model management in Preferences: the downloadable catalogue, the download in progress
// (fed by `model_download` events) and the actions, each done by the main process with the CLI's
// own model store. The installed list itself stays in the app store (what the daemon sees); every
// change here replaces it with the inventory the main process returns.
import { create } from 'zustand';
import type {
  BridgeEvent,
  ModelCatalogueItem,
  ModelChange,
  ModelDownloadState,
} from '../../../electron/src/shared/bridge-api.js';
import { bridge } from '../bridge.js';
import { errorMessage } from './error-message.js';
import { withInstalled } from './catalogue-marks.js';
import { useAppStore } from './app-store.js';

export type ModelAction = 'add' | 'use' | 'remove';

export interface ModelManagerState {
  catalogue: ModelCatalogueItem[];
  download?: ModelDownloadState;
  /** The action running now (buttons are disabled meanwhile); downloads run alongside. */
  pending?: { action: ModelAction; name?: string };
  error?: string;
  /** The daemon did not follow the last change now (it will when it starts). */
  daemonProblem?: string;
  /** Subscribes to download progress and loads the catalogue; returns the unsubscribe. */
  init(): () => void;
  loadCatalogue(): Promise<void>;
  startDownload(name: string): Promise<void>;
  cancelDownload(): Promise<void>;
  addFile(): Promise<void>;
  use(name: string): Promise<void>;
  remove(name: string): Promise<void>;
  dismissError(): void;
}

export const useModelManager = create<ModelManagerState>()((set, get) => {
  const applied = (change: ModelChange) => {
    // The catalogue first: once a row shows the model active, none offers it for download.
    set({
      catalogue: withInstalled(get().catalogue, change.models),
      daemonProblem: change.daemonProblem,
      error: undefined,
    });
    useAppStore.setState({ models: change.models, modelsError: undefined });
    void get().loadCatalogue();
  };
  /** The user asked to cancel the download in progress. */
  let cancelRequested = false;
  const run = async (action: ModelAction, name: string | undefined, fn: () => Promise<void>) => {
    set({ pending: { action, ...(name ? { name } : {}) }, error: undefined });
    try {
      await fn();
    } catch (err) {
      set({ error: errorMessage(err) });
    } finally {
      set({ pending: undefined });
    }
  };

  return {
    catalogue: [],

    init() {
      const off = bridge().onEvent((event: BridgeEvent) => {
        if (event.type === 'model_download') set({ download: event.download });
      });
      void get().loadCatalogue();
      return off;
    },

    async loadCatalogue() {
      try {
        const view = await bridge().getModelCatalogue();
        set({ catalogue: view.items, ...(view.download ? { download: view.download } : {}) });
      } catch (err) {
        set({ error: errorMessage(err) });
      }
    },

    async startDownload(name) {
      cancelRequested = false;
      set({ error: undefined, download: { name, state: 'downloading', receivedBytes: 0 } });
      try {
        applied(await bridge().downloadModel(name));
      } catch (err) {
        // A cancel is reported by the download state itself, not as an error. The rejected call
        // and the 'canceled' event travel separately, so the click is what tells.
        if (!cancelRequested && get().download?.state !== 'canceled')
          set({ error: errorMessage(err) });
      }
    },

    async cancelDownload() {
      cancelRequested = true;
      try {
        await bridge().cancelModelDownload();
      } catch (err) {
        set({ error: errorMessage(err) });
      }
    },

    addFile: () =>
      run('add', undefined, async () => {
        const result = await bridge().addModelFile();
        if (!('canceled' in result)) applied(result);
      }),

    use: (name) => run('use', name, async () => applied(await bridge().useModel(name))),

    remove: (name) => run('remove', name, async () => applied(await bridge().removeModel(name))),

    dismissError: () => set({ error: undefined }),
  };
});
