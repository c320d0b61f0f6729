// The renderer's single store: daemon snapshot, jobs, config draft, enrolment and desktop
// preferences, fed by the bridge's events with a slow poll as a safety net.
import { create } from 'zustand';
import type {
  AppPreferences,
  BridgeEvent,
  ConfigView,
  EnrolmentView,
  JobsSnapshot,
  ModelsView,
  MountValidation,
  PowerPauseReason,
  StatusSnapshot,
  WindowView,
} from '../../../electron/src/shared/bridge-api.js';
import type { ConfigFieldProblem } from '@retaia/agent-core/config/config-schema.js';
import { bridge } from '../bridge.js';
import {
  type ConfigDraft,
  type MountRow,
  configFromDraft,
  draftFromConfig,
  newMountRow,
  validateDraft,
} from './config-draft.js';

export type SaveState = 'clean' | 'dirty' | 'saving' | 'saved' | 'invalid' | 'error';
export type MountCheck = { state: 'checking' } | { state: 'done'; result: MountValidation };

export interface AppState {
  view: WindowView;
  link: 'unknown' | 'connected' | 'disconnected';
  linkMessage?: string;
  status?: StatusSnapshot;
  jobs?: JobsSnapshot;
  pausedBy?: PowerPauseReason;
  prefs?: AppPreferences;
  config?: ConfigView;
  draft?: ConfigDraft;
  problems: ConfigFieldProblem[];
  saveState: SaveState;
  saveMessage?: string;
  mountChecks: Record<number, MountCheck>;
  enrol?: EnrolmentView;
  /** Installed transcription models; `modelsError` when the daemon could not list them. */
  models?: ModelsView;
  modelsError?: string;
  notice?: { kind: 'info' | 'error'; text: string };
  busy: boolean;
}

export interface AppActions {
  init(): () => void;
  setView(view: WindowView): void;
  refreshAll(): Promise<void>;
  togglePause(): Promise<void>;
  refreshNow(): Promise<void>;
  loadModels(): Promise<void>;
  /** Asks the daemon to re-detect models and tools (after a CLI model change), then reloads. */
  refreshModels(): Promise<void>;
  copyDiagnostics(): Promise<void>;
  editDraft(patch: Partial<ConfigDraft>): void;
  editMount(key: number, patch: Partial<Omit<MountRow, 'key'>>): void;
  addMount(): void;
  removeMount(key: number): void;
  pickFolder(key: number): Promise<void>;
  checkMount(key: number): Promise<void>;
  revertDraft(): void;
  saveDraft(): Promise<void>;
  startEnrol(): Promise<void>;
  cancelEnrol(): Promise<void>;
  openEnrolPage(): Promise<void>;
  /** First run: saves just the Core URL (the rest of the config untouched). */
  saveCoreUrl(url: string): Promise<void>;
  /** "Daemon unreachable" → attach again, starting the daemon if none answers. */
  restartDaemon(): Promise<void>;
  /** Core's certificate changed and the user vouches for the presented one. */
  acceptCertificate(fingerprint: string, trustedText: string): Promise<void>;
  setPreferences(patch: Partial<AppPreferences>): Promise<void>;
  dismissNotice(): void;
}

export const isUserPaused = (s: StatusSnapshot): boolean => s.pauseReasons.includes('user');

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const viewFromHash = (): WindowView =>
  location.hash.replace('#', '') === 'preferences' ? 'preferences' : 'control';

export const useAppStore = create<AppState & AppActions>()((set, get) => {
  const fail = (err: unknown) =>
    set({ notice: { kind: 'error', text: message(err) }, busy: false });

  const setDraft = (draft: ConfigDraft) => {
    set({ draft, problems: validateDraft(draft), saveState: 'dirty', saveMessage: undefined });
  };

  const mountRow = (key: number) => get().draft?.mounts.find((m) => m.key === key);

  // The daemon announces every enrolment change as an `enrolment` event: no polling.
  const followEnrolment = (view: EnrolmentView) => {
    const was = get().enrol?.state;
    set({ enrol: view });
    if (was === 'pending' && view.state !== 'pending') void get().refreshAll();
  };

  const onEvent = (event: BridgeEvent) => {
    switch (event.type) {
      case 'status':
        set({ status: event.status, link: 'connected' });
        break;
      case 'enrolment':
        followEnrolment(event.enrolment);
        break;
      case 'job_progress': {
        const patch = (list: StatusSnapshot['currentJobs']) => {
          const i = list.findIndex((j) => j.jobId === event.job.jobId);
          return i < 0 ? [...list, event.job] : list.map((j, k) => (k === i ? event.job : j));
        };
        const { status, jobs } = get();
        set({
          status: status && { ...status, currentJobs: patch(status.currentJobs) },
          jobs: jobs && { ...jobs, current: patch(jobs.current) },
        });
        break;
      }
      case 'job_finished': {
        const { status, jobs } = get();
        const drop = (list: StatusSnapshot['currentJobs']) =>
          list.filter((j) => j.jobId !== event.entry.jobId);
        set({
          status: status && { ...status, currentJobs: drop(status.currentJobs) },
          jobs: jobs && {
            current: drop(jobs.current),
            history: [event.entry, ...jobs.history.filter((h) => h.jobId !== event.entry.jobId)],
          },
        });
        break;
      }
      case 'daemon_link':
        set({ link: event.state, linkMessage: event.message });
        if (event.state === 'connected') {
          void get().refreshAll();
          void get().loadModels();
        }
        break;
      case 'power':
        set({ pausedBy: event.pausedBy });
        break;
      case 'preferences':
        set({ prefs: event.preferences });
        break;
      case 'navigate':
        get().setView(event.view);
        break;
      case 'notification':
        if (event.kind === 'settings_saved' && get().saveState === 'clean') void loadConfig();
        break;
    }
  };

  const loadConfig = async () => {
    const config = await bridge().getConfig();
    const draft = draftFromConfig(config.config);
    set({ config, draft, problems: validateDraft(draft), saveState: 'clean' });
  };

  return {
    view: viewFromHash(),
    link: 'unknown',
    problems: [],
    saveState: 'clean',
    mountChecks: {},
    busy: false,

    init() {
      const off = bridge().onEvent(onEvent);
      const onHash = () => set({ view: viewFromHash() });
      window.addEventListener('hashchange', onHash);
      void get().refreshAll();
      void loadConfig().catch(fail);
      void get().loadModels();
      void bridge()
        .getEnrol()
        .then(followEnrolment)
        .catch(() => undefined);
      // Events carry the live changes; this poll only heals a missed one.
      const poll = setInterval(() => void get().refreshAll(), 10_000);
      return () => {
        off();
        clearInterval(poll);
        window.removeEventListener('hashchange', onHash);
      };
    },

    setView(view) {
      if (location.hash !== `#${view}`) history.replaceState(null, '', `#${view}`);
      set({ view });
    },

    async refreshAll() {
      try {
        const [status, jobs, prefs] = await Promise.all([
          bridge().getStatus(),
          bridge().getJobs(),
          bridge().getPreferences(),
        ]);
        set({ status, jobs, prefs, link: 'connected', linkMessage: undefined });
      } catch (err) {
        set({ link: 'disconnected', linkMessage: message(err) });
      }
    },

    async togglePause() {
      const status = get().status;
      if (!status) return;
      set({ busy: true });
      try {
        // Only a pause the user made is the user's to lift; power/quiet-hours pauses are not.
        const next = isUserPaused(status) ? await bridge().resume() : await bridge().pause();
        set({ status: next, busy: false });
      } catch (err) {
        fail(err);
      }
    },

    async refreshNow() {
      set({ busy: true });
      try {
        set({ status: await bridge().refresh(), busy: false });
        await get().refreshAll();
      } catch (err) {
        fail(err);
      }
    },

    async loadModels() {
      try {
        set({ models: await bridge().getModels(), modelsError: undefined });
      } catch (err) {
        set({ modelsError: message(err) });
      }
    },

    async refreshModels() {
      set({ busy: true });
      try {
        set({ status: await bridge().refreshCapabilities(), busy: false });
        await get().loadModels();
      } catch (err) {
        fail(err);
      }
    },

    async copyDiagnostics() {
      try {
        await bridge().copyToClipboard(await bridge().getDiagnostics());
        set({ notice: { kind: 'info', text: 'copied' } });
      } catch (err) {
        fail(err);
      }
    },

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
          problem: message(err),
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
        set({ saveState: 'error', saveMessage: message(err) });
      }
    },

    async startEnrol() {
      try {
        followEnrolment(await bridge().startEnrol());
      } catch (err) {
        fail(err);
      }
    },

    async cancelEnrol() {
      try {
        set({ enrol: await bridge().cancelEnrol() });
      } catch (err) {
        fail(err);
      }
    },

    async openEnrolPage() {
      await bridge().openEnrolPage().catch(fail);
    },

    async saveCoreUrl(url) {
      const draft = get().draft;
      if (!draft) return;
      // Goes through the same draft, validation and save as the Preferences form.
      get().editDraft({ coreUrl: url });
      await get().saveDraft();
    },

    async restartDaemon() {
      set({ busy: true });
      try {
        await bridge().restartDaemon();
        set({ busy: false });
        await get().refreshAll();
        await loadConfig().catch(() => undefined);
      } catch (err) {
        fail(err);
      }
    },

    async acceptCertificate(fingerprint, trustedText) {
      set({ busy: true });
      try {
        await bridge().acceptCoreCertificate(fingerprint);
        set({ busy: false, notice: { kind: 'info', text: trustedText } });
        await get().refreshAll();
      } catch (err) {
        fail(err);
      }
    },

    async setPreferences(patch) {
      try {
        set({ prefs: await bridge().setPreferences(patch) });
      } catch (err) {
        fail(err);
      }
    },

    dismissNotice() {
      set({ notice: undefined });
    },
  };
});
