// Wires the shell together: single-instance lock, daemon attach/start, tray, window, IPC bridge,
// notifications and power policy. Takes every outside dependency as a parameter so tests run it
// against a fake Electron and an in-memory daemon.
import { join } from 'node:path';
import { resolveAgentPaths } from '@retaia/agent-core/config/agent-paths.js';
import type { StatusSnapshot } from '@retaia/agent-core/runtime/control-protocol.js';
import type { AppPreferences, BridgeEvent } from '../shared/bridge-api.js';
import { AppPreferencesStore } from './app-preferences.js';
import { createBridgeHandlers } from './bridge-handlers.js';
import type { DaemonControl } from '@retaia/agent-core/runtime/control-protocol.js';
import { type DaemonLauncherDeps, attachOrStartDaemon } from './daemon-launcher.js';
import { DaemonLink } from './daemon-link.js';
import type { ElectronApi } from './electron-api.js';
import { registerBridgeIpc } from './ipc-bridge.js';
import { applyLoginItem } from './login-item.js';
import { MainWindow } from './main-window.js';
import { NotificationGate } from './notification-gate.js';
import { Notifier } from './notifier.js';
import { PowerController } from './power-controller.js';
import { type PowerPrefs, powerPrefsFromConfig } from './power-policy.js';
import { resolveLanguage } from '../../../renderer/src/i18n/translate.js';
import { TrayController } from './tray-controller.js';
import { type TrayAction, reviewPageUrl } from './tray-menu.js';

export interface DesktopAppOptions {
  /** Folder holding main.cjs, preload.cjs and renderer/. */
  distDir: string;
  /** Folder holding the tray and app icons. */
  assetsDir: string;
  launcher: DaemonLauncherDeps;
  /** The daemon's data dir (Core certificate pins live there). */
  agentDataDir?: string;
  /** Start with the window hidden (login item launch). */
  hidden?: boolean;
  powerPollMs?: number;
  linkRetryMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface DesktopApp {
  /** False when another instance already runs (this one then quits at once). */
  primary: boolean;
  window: MainWindow;
  tray?: TrayController;
  notifier?: Notifier;
  power?: PowerController;
  daemon(): DaemonControl | undefined;
  status(): StatusSnapshot | undefined;
  runTrayAction(action: TrayAction): Promise<void>;
  quit(): Promise<void>;
}

export async function startDesktopApp(
  api: ElectronApi,
  opts: DesktopAppOptions,
): Promise<DesktopApp> {
  const log = opts.log ?? (() => undefined);
  const window = new MainWindow(api, {
    preloadPath: join(opts.distDir, 'preload.cjs'),
    indexHtmlPath: join(opts.distDir, 'renderer', 'index.html'),
    iconPath: join(opts.assetsDir, 'icon.png'),
  });

  if (!api.app.requestSingleInstanceLock()) {
    api.app.quit();
    return {
      primary: false,
      window,
      daemon: () => undefined,
      status: () => undefined,
      runTrayAction: async () => undefined,
      quit: async () => undefined,
    };
  }
  // A second launch lands here: bring the existing window forward instead.
  api.app.on('second-instance', () => window.show());
  // macOS: clicking the app in Finder/Launchpad while it runs.
  api.app.on('activate', () => window.show());
  // A tray app keeps running with no window open.
  api.app.on('window-all-closed', () => undefined);
  api.app.on('before-quit', () => window.allowClose());

  await api.app.whenReady();
  api.app.dock?.hide();

  const prefsStore = new AppPreferencesStore(join(api.app.getPath('userData'), 'preferences.json'));
  await prefsStore.load();
  applyLoginItem(api, prefsStore.get().openAtLogin);

  let control: DaemonControl | undefined;
  let startedByApp = false;
  let status: StatusSnapshot | undefined;
  let linkError: string | undefined;
  // The power switches live in the daemon config (shared with the CLI); re-read on every change.
  let daemonConfig: unknown;
  const powerPrefs = (): PowerPrefs =>
    powerPrefsFromConfig(daemonConfig, prefsStore.get().idleMinutes);
  const reloadDaemonConfig = async (): Promise<void> => {
    if (!control) return;
    try {
      daemonConfig = (await control.getConfig()).config;
    } catch (err) {
      log('could not read the daemon config', { err: String(err) });
    }
    await power.evaluate();
  };

  const gate = new NotificationGate();
  const notifier = new Notifier(
    api,
    () => prefsStore.get().notifications,
    () => window.show(),
    gate,
  );
  const power = new PowerController(api, () => control, powerPrefs, {
    pollMs: opts.powerPollMs,
    onChange: (pausedBy) => {
      window.send({ type: 'power', pausedBy });
      refreshTray();
    },
    onError: (err) => log('power policy could not be applied', { err: String(err) }),
  });

  const tray = new TrayController(api, opts.assetsDir, (action) => void runTrayAction(action));
  const refreshTray = () =>
    tray.update({
      status,
      linkError,
      pausedBy: power.pausedBy,
      lang: resolveLanguage(prefsStore.get().language, api.app.getLocale()),
    });

  const shell = {
    pickFolder: async () => {
      const r = await api.showOpenDialog({
        title: 'Choose the mounted storage folder',
        properties: ['openDirectory', 'dontAddToRecent'],
      });
      return r.canceled || r.filePaths.length === 0
        ? { canceled: true }
        : { canceled: false, path: r.filePaths[0] };
    },
    copyToClipboard: async (text: string) => api.writeClipboardText(text),
    openExternal: (url: string) => api.openExternal(url),
    getPreferences: () => prefsStore.get(),
    restartDaemon: () => restartDaemon(),
    agentDataDir: () => opts.agentDataDir ?? resolveAgentPaths().dataDir,
    pickModelFile: async () => {
      const r = await api.showOpenDialog({
        title: 'Choose a whisper model file (ggml)',
        properties: ['openFile', 'dontAddToRecent'],
        filters: [
          { name: 'Whisper model (ggml)', extensions: ['bin'] },
          { name: 'All files', extensions: ['*'] },
        ],
      });
      return r.canceled ? undefined : r.filePaths[0];
    },
    sendEvent: (event: BridgeEvent) => window.send(event),
    setPreferences: async (patch: unknown): Promise<AppPreferences> => {
      const next = await prefsStore.update(patch);
      applyLoginItem(api, next.openAtLogin);
      window.send({ type: 'preferences', preferences: next });
      refreshTray();
      void power.evaluate();
      return next;
    },
  };
  const requireDaemon = (): DaemonControl => {
    if (!control)
      throw new Error(`The agent daemon is not reachable${linkError ? `: ${linkError}` : ''}.`);
    return control;
  };
  const handlers = createBridgeHandlers(requireDaemon, shell);
  registerBridgeIpc(
    api,
    {
      ...handlers,
      saveConfig: async (config) => {
        const result = await handlers.saveConfig(config);
        if (result.ok) await reloadDaemonConfig();
        return result;
      },
    },
    (event) => window.ownsIpcSender(event),
    (method) => log('refused an IPC call from a foreign frame', { method }),
  );

  async function runTrayAction(action: TrayAction): Promise<void> {
    try {
      if (action === 'open') window.show('control');
      else if (action === 'preferences') window.show('preferences');
      else if (action === 'pause') status = await requireDaemon().pause('user');
      else if (action === 'resume') status = await requireDaemon().resume('user');
      else if (action === 'refresh') status = await requireDaemon().refresh();
      else if (action === 'restart') await restartDaemon();
      else if (action === 'review') {
        // Core's own page, derived from the configured core_url (never from a Core answer).
        const url = reviewPageUrl(status?.coreUrl);
        if (url) await api.openExternal(url);
      } else if (action === 'quit') await quit();
      refreshTray();
    } catch (err) {
      log('tray action failed', { action, err: String(err) });
    }
  }

  let link: DaemonLink | undefined;
  async function quit(): Promise<void> {
    window.allowClose();
    power.stop();
    await link?.stop();
    // Stop the daemon only if this app started it; an attached daemon belongs to someone else.
    if (startedByApp && control) await control.shutdown().catch(() => undefined);
    tray.destroy();
    api.app.quit();
  }

  refreshTray();
  if (!opts.hidden) window.show();

  /** Attaches to the daemon (starting one if none answers) and follows it. */
  async function connectDaemon(): Promise<void> {
    try {
      const attached = await attachOrStartDaemon(opts.launcher);
      control = attached.control;
      startedByApp = attached.startedByApp;
      linkError = undefined;
      log('daemon attached', { startedByApp });
    } catch (err) {
      linkError = err instanceof Error ? err.message : String(err);
      window.send({ type: 'daemon_link', state: 'disconnected', message: linkError });
      refreshTray();
      notifier.notify({ kind: 'disconnected', title: 'Retaia Agent', body: linkError });
      return;
    }
    followDaemon(control);
  }

  /** "Daemon unreachable" → Restart: drop the old link, then attach or start a daemon again. */
  let restarting: Promise<void> | undefined;
  function restartDaemon(): Promise<void> {
    restarting ??= (async () => {
      await link?.stop();
      link = undefined;
      control = undefined;
      await connectDaemon();
    })().finally(() => {
      restarting = undefined;
    });
    return restarting;
  }

  let powerStarted = false;
  function followDaemon(daemon: DaemonControl): void {
    let lastAuth: string | undefined;
    link = new DaemonLink(
      daemon,
      {
        onStatus: (next) => {
          status = next;
          if (next && next.auth.state === 'enrolled' && lastAuth !== 'enrolled')
            gate.noteAuthHealthy();
          lastAuth = next?.auth.state;
          power.noteStatus(next);
          refreshTray();
        },
        onEvent: (event) => {
          window.send(event);
          if (event.type === 'notification') {
            notifier.notify({ kind: event.kind, title: event.title, body: event.body });
            // The CLI may have changed the config: pick up new power switches.
            if (event.kind === 'settings_saved') void reloadDaemonConfig();
          }
          if (event.type === 'status') void power.evaluate();
        },
        onLink: (state, message) => {
          linkError = state === 'disconnected' ? message : undefined;
          window.send({ type: 'daemon_link', state, message });
          if (state === 'connected') {
            power.forgetApplied();
            void reloadDaemonConfig();
          }
          // The first successful connection is not a "reconnection" worth a notification.
          notifier.notify(
            state === 'disconnected'
              ? {
                  kind: 'disconnected',
                  title: 'Retaia Agent',
                  body: 'Lost contact with the agent daemon.',
                }
              : {
                  kind: 'reconnected',
                  title: 'Retaia Agent',
                  body: 'Back in contact with the agent daemon.',
                },
          );
          refreshTray();
        },
      },
      { retryMs: opts.linkRetryMs },
    );
    link.start();
    // Once per app: a restart must not stack power listeners and timers.
    if (!powerStarted) power.start();
    powerStarted = true;
  }

  await connectDaemon();

  return {
    primary: true,
    window,
    tray,
    notifier,
    power,
    daemon: () => control,
    status: () => status,
    runTrayAction,
    quit,
  };
}
