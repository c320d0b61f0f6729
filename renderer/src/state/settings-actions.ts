// The Preferences form's actions on the app store: edit the config draft and its mounts, check a
// mount against its `.retaia` marker, revert, and save — validated here with the CLI's own
// messages first, then by the daemon, which alone stores it.
import type { StoreApi } from 'zustand';
import type { MountValidation } from '../../../electron/src/shared/bridge-api.js';
import { bridge } from '../bridge.js';
import { errorMessage } from './error-message.js';
import type { AppActions, AppState } from './app-store.js';
import {
  type ConfigDraft,
  configFromDraft,
  draftFromConfig,
  newMountRow,
  validateDraft,
} from './config-draft.js';

type Store = StoreApi<AppState & AppActions>;
export type SettingsActions = Pick<
  AppActions,
  | 'editDraft'
  | 'editMount'
  | 'addMount'
  | 'removeMount'
  | 'pickFolder'
  | 'checkMount'
  | 'revertDraft'
  | 'saveDraft'
  | 'saveCoreUrl'
>;

export function settingsActions(
  set: Store['setState'],
  get: Store['getState'],
  deps: { fail(err: unknown): void; loadConfig(): Promise<void> },
): SettingsActions {
  const { fail, loadConfig } = deps;
  const setDraft = (draft: ConfigDraft) => {
    set({ draft, problems: validateDraft(draft), saveState: 'dirty', saveMessage: undefined });
  };
  const mountRow = (key: number) => get().draft?.mounts.find((m) => m.key === key);

  return {
    editDraft(patch) {
      const draft = get().draft;
      if (draft) setDraft({ ...draft, ...patch });
    },

    editMount(key, patch) {
      const draft = get().draft;
      if (!draft) return;
      setDraft({
        ...draft,
        mounts: draft.mounts.map((m) => (m.key === key ? { ...m, ...patch } : m)),
      });
      const checks = { ...get().mountChecks };
      delete checks[key];
      set({ mountChecks: checks });
    },

    addMount() {
      const draft = get().draft;
      if (draft) setDraft({ ...draft, mounts: [...draft.mounts, newMountRow()] });
    },

    removeMount(key) {
      const draft = get().draft;
      if (draft) setDraft({ ...draft, mounts: draft.mounts.filter((m) => m.key !== key) });
    },

    async pickFolder(key) {
      try {
        const picked = await bridge().pickFolder();
        if (picked.canceled || !picked.path) return;
        get().editMount(key, { path: picked.path });
        await get().checkMount(key);
      } catch (err) {
        fail(err);
      }
    },

    async checkMount(key) {
      const row = mountRow(key);
      if (!row?.storageId || !row.path) return;
      set({ mountChecks: { ...get().mountChecks, [key]: { state: 'checking' } } });
      try {
        const result = await bridge().validateMount(row.storageId, row.path);
        set({ mountChecks: { ...get().mountChecks, [key]: { state: 'done', result } } });
      } catch (err) {
        const result: MountValidation = {
          ok: false,
          storageId: row.storageId,
          path: row.path,
          problem: errorMessage(err),
        };
        set({ mountChecks: { ...get().mountChecks, [key]: { state: 'done', result } } });
      }
    },

    revertDraft() {
      const config = get().config;
      if (config) {
        const draft = draftFromConfig(config.config);
        set({
          draft,
          problems: validateDraft(draft),
          saveState: 'clean',
          saveMessage: undefined,
          mountChecks: {},
        });
      }
    },

    async saveDraft() {
      const draft = get().draft;
      if (!draft) return;
      const local = validateDraft(draft);
      if (local.length > 0) {
        set({ problems: local, saveState: 'invalid' });
        return;
      }
      set({ saveState: 'saving' });
      try {
        const result = await bridge().saveConfig(configFromDraft(draft));
        if (!result.ok) {
          set({ problems: result.problems, saveState: 'invalid' });
          return;
        }
        await loadConfig();
        set({ saveState: 'saved' });
        await get().refreshAll();
      } catch (err) {
        set({ saveState: 'error', saveMessage: errorMessage(err) });
      }
    },

    async saveCoreUrl(url) {
      const draft = get().draft;
      if (!draft) return;
      // Goes through the same draft, validation and save as the Preferences form.
      get().editDraft({ coreUrl: url });
      await get().saveDraft();
    },
  };
}
