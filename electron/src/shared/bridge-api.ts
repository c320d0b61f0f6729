// The one typed contract between the preload script and the renderer (`window.retaia`).
// Kept deliberately small: the daemon's control API does the heavy lifting, the bridge only
// forwards to it, plus the few things only the desktop shell can do (folder picker, clipboard,
// app-level preferences). Type-only, so the renderer can import it without pulling in Node.
import type {
  DaemonControl,
  DaemonEvent,
  ModelsView,
  StatusSnapshot,
} from '@retaia/agent-core/runtime/control-protocol.js';
import type { BRIDGED_DAEMON_METHODS } from './bridge-channels.js';

// The daemon's own types (snapshots, views, events) reach the renderer through this file.
export type * from '@retaia/agent-core/runtime/control-protocol.js';

export interface AcceptedCertificate {
  origin: string;
  previous?: string;
  current: string;
}

export type UiLanguage = 'auto' | 'en' | 'fr';

/**
 * Desktop-only preferences. Everything the CLI can also set (power policy switches, CPU
 * priority, parallel jobs, mounts) lives in the daemon config instead.
 */
export interface AppPreferences {
  /** Minutes without keyboard/mouse input after which the machine counts as idle. */
  idleMinutes: number;
  /** Start the tray app when the user logs in (opt-in). */
  openAtLogin: boolean;
  /** Show native notifications. */
  notifications: boolean;
  language: UiLanguage;
}

/** Why the desktop shell itself paused the daemon (shown in the tray tooltip and the UI). */
export type PowerPauseReason = 'battery' | 'not_idle' | 'quiet_hours';

export type WindowView = 'control' | 'preferences';

/** A downloadable whisper model (the same catalogue as `retaia-agent models list`). */
export interface ModelCatalogueItem {
  name: string;
  description: string;
  sizeBytes: number;
  installed: boolean;
}

/** The one model download in progress, or how the last one ended. */
export interface ModelDownloadState {
  name: string;
  state: 'downloading' | 'done' | 'failed' | 'canceled';
  receivedBytes: number;
  totalBytes?: number;
  /** 0..100 when the size is known. */
  percent?: number;
  message?: string;
}

export interface ModelCatalogueView {
  items: ModelCatalogueItem[];
  download?: ModelDownloadState;
}

/** What a model change left behind: the inventory on disk, and whether the daemon followed. */
export interface ModelChange {
  models: ModelsView;
  /** Why the daemon did not re-detect now (it picks the change up when it starts). */
  daemonProblem?: string;
}

/** Events pushed to the renderer: the daemon's own stream plus the shell's view of it. */
export type BridgeEvent =
  | DaemonEvent
  | { type: 'daemon_link'; state: 'connected' | 'disconnected'; message?: string }
  | { type: 'power'; pausedBy?: PowerPauseReason }
  | { type: 'preferences'; preferences: AppPreferences }
  | { type: 'navigate'; view: WindowView }
  | { type: 'model_download'; download: ModelDownloadState };

export interface PickedFolder {
  canceled: boolean;
  path?: string;
}

/**
 * The daemon operations the window may call, under the daemon's own names (listed once in
 * bridge-channels.ts). Main redacts secrets from configs on the way out; pause and resume always
 * speak for the user.
 */
export type BridgedDaemonControl = Pick<DaemonControl, (typeof BRIDGED_DAEMON_METHODS)[number]> & {
  pause(): Promise<StatusSnapshot>;
  resume(): Promise<StatusSnapshot>;
};

/** What `window.retaia` exposes. Every call is a promise; errors reject with a readable message. */
export interface RetaiaBridge extends BridgedDaemonControl {
  /** The downloadable models, and the download in progress (same store code as the CLI). */
  getModelCatalogue(): Promise<ModelCatalogueView>;
  /** Downloads a catalogue model; progress arrives as `model_download` events. */
  downloadModel(name: string): Promise<ModelChange>;
  cancelModelDownload(): Promise<void>;
  /** Main asks for the file in its own dialog; the renderer never passes a path. */
  addModelFile(): Promise<ModelChange | { canceled: true }>;
  useModel(name: string): Promise<ModelChange>;
  removeModel(name: string): Promise<ModelChange>;
  pickFolder(): Promise<PickedFolder>;
  /** Re-opens the enrolment page in the default browser (only the daemon-provided URL). */
  openEnrolmentPage(): Promise<void>;
  /**
   * Pins the certificate Core presents now as trusted, only if its SHA-256 is `fingerprint`
   * (after Core's certificate changed; chain and host name are still verified).
   */
  acceptCoreCertificate(fingerprint: string): Promise<AcceptedCertificate>;
  /** Attaches to the daemon again, starting it when none answers ("Daemon unreachable"). */
  restartDaemon(): Promise<void>;
  copyToClipboard(text: string): Promise<void>;
  getPreferences(): Promise<AppPreferences>;
  setPreferences(patch: Partial<AppPreferences>): Promise<AppPreferences>;
  /** Subscribes to pushed events; returns the unsubscribe function. */
  onEvent(listener: (event: BridgeEvent) => void): () => void;
}

/** The invoke-style part of the bridge: everything but the event subscription. */
export type BridgeMethod = Exclude<keyof RetaiaBridge, 'onEvent'>;
export type BridgeHandlers = { [K in BridgeMethod]: RetaiaBridge[K] };
