// A fake of the ElectronApi seam: records what the main process asks of Electron and lets tests
// trigger what Electron would (window close, second launch, power changes, tray clicks).
import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';
import type * as Electron from 'electron';
import type { ElectronApi, TrayLike, WindowLike } from '../../src/main/electron-api.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

export class FakeWindow extends EventEmitter implements WindowLike {
  visible = false;
  minimized = false;
  destroyed = false;
  loaded: { path: string; hash?: string } | undefined;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  openHandler: ((d: { url: string }) => { action: 'deny' }) | undefined;
  constructor(readonly options: Electron.BrowserWindowConstructorOptions) {
    super();
  }
  show() {
    this.visible = true;
  }
  hide() {
    this.visible = false;
  }
  focus() {}
  restore() {
    this.minimized = false;
  }
  isMinimized() {
    return this.minimized;
  }
  isVisible() {
    return this.visible;
  }
  isDestroyed() {
    return this.destroyed;
  }
  async loadFile(path: string, options?: { hash?: string }) {
    this.loaded = { path, hash: options?.hash };
  }
  /** What clicking the window's close button does; returns whether it really closed. */
  userClose(): boolean {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (!prevented) {
      this.destroyed = true;
      this.visible = false;
      this.emit('closed');
    }
    return !prevented;
  }
  readonly navigationEvents = new EventEmitter();
  private static nextId = 1;
  webContents = {
    id: FakeWindow.nextId++,
    send: (channel: string, ...args: unknown[]) => void this.sent.push({ channel, args }),
    setWindowOpenHandler: (h: (d: { url: string }) => { action: 'deny' }) =>
      void (this.openHandler = h),
    on: (event: 'will-navigate', listener: (e: { preventDefault(): void }, url: string) => void) =>
      this.navigationEvents.on(event, listener),
  };
}

export class FakeTray extends EventEmitter implements TrayLike {
  image: string | undefined;
  tooltip = '';
  menu: Electron.MenuItemConstructorOptions[] = [];
  destroyed = false;
  constructor(image: Electron.NativeImage) {
    super();
    this.image = (image as unknown as { path: string }).path;
  }
  setImage(image: Electron.NativeImage) {
    this.image = (image as unknown as { path: string }).path;
  }
  setToolTip(text: string) {
    this.tooltip = text;
  }
  setContextMenu(menu: Electron.Menu | null) {
    this.menu =
      (menu as unknown as { template: Electron.MenuItemConstructorOptions[] } | null)?.template ??
      [];
  }
  destroy() {
    this.destroyed = true;
  }
  /** Clicks the menu entry with this label. */
  click(label: string): void {
    const item = this.menu.find((i) => i.label === label);
    if (!item?.click)
      throw new Error(
        `no clickable tray item "${label}" in ${this.menu.map((i) => i.label).join(', ')}`,
      );
    (item.click as () => void)();
  }
}

export interface FakeElectronOptions {
  singleInstanceLock?: boolean;
  onBattery?: boolean;
  idleSeconds?: number;
  isPackaged?: boolean;
  userData?: string;
}

export function createFakeElectron(opts: FakeElectronOptions = {}) {
  const appEvents = new EventEmitter();
  const powerEvents = new EventEmitter();
  const state = {
    quitCalled: 0,
    windows: [] as FakeWindow[],
    trays: [] as FakeTray[],
    notifications: [] as { title: string; body: string }[],
    loginItem: { openAtLogin: false } as { openAtLogin: boolean; openAsHidden?: boolean },
    loginItemCalls: 0,
    onBattery: opts.onBattery ?? false,
    idleSeconds: opts.idleSeconds ?? 0,
    blockers: new Map<number, string>(),
    nextBlocker: 1,
    handlers: new Map<string, (event: unknown, ...args: unknown[]) => unknown>(),
    clipboard: '',
    opened: [] as string[],
    dialogResult: { canceled: true, filePaths: [] as string[] },
    dockHidden: false,
  };
  const invokeFrom = (event: unknown, channel: string, ...args: unknown[]) => {
    const h = state.handlers.get(channel);
    if (!h) throw new Error(`no IPC handler for ${channel}`);
    return h(event, ...args);
  };
  const userData = opts.userData ?? makeTempDir('retaia-fake-electron-');
  const api: ElectronApi = {
    app: {
      requestSingleInstanceLock: () => opts.singleInstanceLock ?? true,
      quit: () => void state.quitCalled++,
      exit: () => undefined,
      whenReady: async () => undefined,
      getPath: () => userData,
      getAppPath: () => '/opt/retaia-agent/resources/app.asar',
      setLoginItemSettings: (s: Electron.Settings) => {
        state.loginItemCalls++;
        state.loginItem = { openAtLogin: s.openAtLogin ?? false, openAsHidden: s.openAsHidden };
      },
      getLoginItemSettings: () => state.loginItem as Electron.LoginItemSettings,
      getLocale: () => 'en-US',
      getVersion: () => '0.1.0',
      isPackaged: opts.isPackaged ?? true,
      on: (event: string, listener: () => void) => appEvents.on(event, listener),
      dock: { hide: () => void (state.dockHidden = true), show: async () => undefined },
    },
    createWindow: (options) => {
      const w = new FakeWindow(options);
      state.windows.push(w);
      return w;
    },
    createTray: (image) => {
      const t = new FakeTray(image);
      state.trays.push(t);
      return t;
    },
    buildMenu: (template) => ({ template }) as unknown as Electron.Menu,
    imageFromPath: (path) => ({ path }) as unknown as Electron.NativeImage,
    showNotification: (o) => void state.notifications.push({ title: o.title, body: o.body }),
    notificationsSupported: () => true,
    powerMonitor: {
      isOnBatteryPower: () => state.onBattery,
      getSystemIdleTime: () => state.idleSeconds,
      on: (event: string, listener: () => void) => powerEvents.on(event, listener),
    },
    powerSaveBlocker: {
      start: (type) => {
        const id = state.nextBlocker++;
        state.blockers.set(id, type);
        return id;
      },
      stop: (id) => void state.blockers.delete(id),
      isStarted: (id) => state.blockers.has(id),
    },
    ipcMain: {
      handle: (channel, listener) => void state.handlers.set(channel, listener),
      removeHandler: (channel) => void state.handlers.delete(channel),
    },
    showOpenDialog: async () => state.dialogResult,
    openExternal: async (url) => void state.opened.push(url),
    writeClipboardText: (text) => void (state.clipboard = text),
    platform: 'linux',
  };
  return {
    api,
    state,
    userData,
    emitApp: (event: 'second-instance' | 'before-quit' | 'window-all-closed') =>
      appEvents.emit(event),
    setBattery(on: boolean) {
      state.onBattery = on;
      powerEvents.emit(on ? 'on-battery' : 'on-ac');
    },
    /** An IPC call as the app's own window would send it (top frame, its index.html). */
    invoke: (channel: string, ...args: unknown[]) => {
      const win = state.windows.at(-1);
      if (!win?.loaded) throw new Error('no window has loaded the app page');
      return invokeFrom(
        {
          sender: win.webContents,
          senderFrame: { url: `${pathToFileURL(win.loaded.path).href}#control`, parent: null },
        },
        channel,
        ...args,
      );
    },
    /** An IPC call with a sender/frame of the test's choosing (foreign frames, other windows). */
    invokeFrom,
  };
}
