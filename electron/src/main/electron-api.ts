// The ONE place the main process touches the `electron` module. Every other main-process file
// receives an `ElectronApi` and uses only what is declared here, so tests can hand in a fake and
// exercise the real wiring in plain Node.
import { createRequire } from 'node:module';
import type * as Electron from 'electron';

export interface TrayLike {
  setImage(image: Electron.NativeImage): void;
  setToolTip(text: string): void;
  setContextMenu(menu: Electron.Menu | null): void;
  on(event: 'click' | 'double-click', listener: () => void): unknown;
  destroy(): void;
}

export interface WindowLike {
  show(): void;
  hide(): void;
  focus(): void;
  restore(): void;
  isMinimized(): boolean;
  isVisible(): boolean;
  isDestroyed(): boolean;
  loadFile(path: string, options?: { hash?: string }): Promise<void>;
  on(event: 'close', listener: (e: { preventDefault(): void }) => void): unknown;
  on(event: 'closed' | 'ready-to-show', listener: () => void): unknown;
  webContents: {
    /** Unique per WebContents; IPC senders are matched against it. */
    readonly id: number;
    send(channel: string, ...args: unknown[]): void;
    setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
    on(
      event: 'will-navigate',
      listener: (e: { preventDefault(): void }, url: string) => void,
    ): unknown;
  };
}

export interface ElectronApi {
  app: Pick<
    Electron.App,
    | 'requestSingleInstanceLock'
    | 'quit'
    | 'exit'
    | 'whenReady'
    | 'getPath'
    | 'getAppPath'
    | 'setLoginItemSettings'
    | 'getLoginItemSettings'
    | 'getLocale'
    | 'getVersion'
    | 'isPackaged'
  > & {
    on(
      event: 'second-instance' | 'before-quit' | 'window-all-closed' | 'activate',
      listener: () => void,
    ): unknown;
    dock?: { hide(): void; show(): Promise<void> } | undefined;
  };
  createWindow(options: Electron.BrowserWindowConstructorOptions): WindowLike;
  createTray(image: Electron.NativeImage): TrayLike;
  buildMenu(template: Electron.MenuItemConstructorOptions[]): Electron.Menu;
  imageFromPath(path: string): Electron.NativeImage;
  showNotification(
    options: { title: string; body: string; silent?: boolean },
    onClick?: () => void,
  ): void;
  notificationsSupported(): boolean;
  powerMonitor: {
    isOnBatteryPower(): boolean;
    getSystemIdleTime(): number;
    on(event: 'on-battery' | 'on-ac' | 'resume' | 'unlock-screen', listener: () => void): unknown;
  };
  powerSaveBlocker: {
    start(type: 'prevent-app-suspension' | 'prevent-display-sleep'): number;
    stop(id: number): void;
    isStarted(id: number): boolean;
  };
  ipcMain: {
    handle(channel: string, listener: (event: unknown, ...args: unknown[]) => unknown): void;
    removeHandler(channel: string): void;
  };
  showOpenDialog(
    options: Electron.OpenDialogOptions,
  ): Promise<{ canceled: boolean; filePaths: string[] }>;
  openExternal(url: string): Promise<void>;
  writeClipboardText(text: string): void;
  platform: NodeJS.Platform;
}

/** Binds the real Electron module. Only `main.ts` calls this. */
export function loadElectronApi(): ElectronApi {
  // A plain require: main is bundled to CommonJS, where Electron hands out its module directly.
  const e = createRequire(import.meta.url)('electron') as typeof Electron;
  return {
    app: e.app,
    createWindow: (options) => new e.BrowserWindow(options),
    createTray: (image) => new e.Tray(image),
    buildMenu: (template) => e.Menu.buildFromTemplate(template),
    imageFromPath: (path) => e.nativeImage.createFromPath(path),
    showNotification: (options, onClick) => {
      const n = new e.Notification(options);
      if (onClick) n.on('click', onClick);
      n.show();
    },
    notificationsSupported: () => e.Notification.isSupported(),
    powerMonitor: e.powerMonitor,
    powerSaveBlocker: e.powerSaveBlocker,
    ipcMain: e.ipcMain,
    showOpenDialog: (options) => e.dialog.showOpenDialog(options),
    openExternal: (url) => e.shell.openExternal(url),
    writeClipboardText: (text) => e.clipboard.writeText(text),
    platform: process.platform,
  };
}
