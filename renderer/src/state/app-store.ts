// The renderer's single store: daemon snapshot, jobs, config draft, enrolment and desktop
// preferences, fed by the bridge's events with a slow poll as a safety net. The Preferences
// form's actions (draft, mounts, save) are in settings-actions.ts.
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
import { errorMessage } from './error-message.js';
import { type ConfigDraft, type MountRow, draftFromConfig, validateDraft } from './config-draft.js';
import { settingsActions } from './settings-actions.js';

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
  enrolment?: EnrolmentView;
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
  startEnrolment(): Promise<void>;
  cancelEnrolment(): Promise<void>;
  openEnrolmentPage(): Promise<void>;
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

const viewFromHash = (): WindowView =>
  location.hash.replace('#', '') === 'preferences' ? 'preferences' : 'control';

export const useAppStore = create<AppState & AppActions>()((set, get) => {
  const fail = (err: unknown) =>
    set({ notice: { kind: 'error', text: errorMessage(err) }, busy: false });

  // The daemon announces every enrolment change as an `enrolment` event: no polling.
  const followEnrolment = (view: EnrolmentView) => {
    const was = get().enrolment?.state;
    set({ enrolment: view });
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
        .enrolment()
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
          bridge().status(),
          bridge().jobs(),
          bridge().getPreferences(),
        ]);
        set({ status, jobs, prefs, link: 'connected', linkMessage: undefined });
      } catch (err) {
        set({ link: 'disconnected', linkMessage: errorMessage(err) });
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
        set({ models: await bridge().models(), modelsError: undefined });
      } catch (err) {
        set({ modelsError: errorMessage(err) });
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
        await bridge().copyToClipboard(await bridge().diagnostics());
        set({ notice: { kind: 'info', text: 'copied' } });
      } catch (err) {
        fail(err);
      }
    },

    ...settingsActions(set, get, { fail, loadConfig }),

    async startEnrolment() {
      try {
        followEnrolment(await bridge().startEnrolment());
      } catch (err) {
        fail(err);
      }
    },

    async cancelEnrolment() {
      try {
        set({ enrolment: await bridge().cancelEnrolment() });
      } catch (err) {
        fail(err);
      }
    },

    async openEnrolmentPage() {
      await bridge().openEnrolmentPage().catch(fail);
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
