// The single app window: created on demand, locked down (context isolation, sandbox, no Node),
// and hidden instead of closed so the app lives on in the tray.
import { pathToFileURL } from 'node:url';
import type { BridgeEvent, WindowView } from '../shared/bridge-api.js';
import { EVENT_CHANNEL } from '../shared/bridge-channels.js';
import type { ElectronApi, WindowLike } from './electron-api.js';

export interface MainWindowOptions {
  preloadPath: string;
  indexHtmlPath: string;
  iconPath?: string;
}

export class MainWindow {
  private window: WindowLike | undefined;
  private quitting = false;

  constructor(
    private readonly api: ElectronApi,
    private readonly opts: MainWindowOptions,
  ) {}

  /** After this, closing the window really closes it (the app is quitting). */
  allowClose(): void {
    this.quitting = true;
  }

  isOpen(): boolean {
    return this.window !== undefined && !this.window.isDestroyed();
  }

  show(view: WindowView = 'control'): void {
    const existed = this.isOpen();
    const win = this.ensure(view);
    // A fresh window opens on the view through its URL hash; a loaded one is told to switch.
    if (existed) this.send({ type: 'navigate', view });
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  }

  /**
   * True only for an IPC message from this window's top frame showing the app's own page: not
   * from an iframe, another window, or the window after something navigated it elsewhere.
   */
  ownsIpcSender(event: unknown): boolean {
    const e = event as {
      sender?: { id?: unknown };
      senderFrame?: { url?: unknown; parent?: unknown } | null;
    } | null;
    const win = this.window;
    if (!win || win.isDestroyed() || !e?.sender || e.sender.id !== win.webContents.id) return false;
    const frame = e.senderFrame;
    if (!frame || frame.parent !== null || typeof frame.url !== 'string') return false;
    let url: URL;
    try {
      url = new URL(frame.url);
    } catch {
      return false;
    }
    url.hash = '';
    return url.href === pathToFileURL(this.opts.indexHtmlPath).href;
  }

  send(event: BridgeEvent): void {
    if (this.isOpen()) this.window?.webContents.send(EVENT_CHANNEL, event);
  }

  private ensure(view: WindowView): WindowLike {
    if (this.window && !this.window.isDestroyed()) return this.window;
    const win = this.api.createWindow({
      width: 880,
      height: 640,
      minWidth: 640,
      minHeight: 480,
      show: false,
      title: 'Retaia Agent',
      icon: this.opts.iconPath,
      autoHideMenuBar: true,
      webPreferences: {
        preload: this.opts.preloadPath,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        spellcheck: false,
      },
    });
    // The UI is a local bundle: nothing may navigate it elsewhere or open new windows.
    win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    win.webContents.on('will-navigate', (e) => e.preventDefault());
    win.on('close', (e) => {
      if (this.quitting) return;
      e.preventDefault();
      win.hide();
    });
    win.on('closed', () => {
      this.window = undefined;
    });
    void win.loadFile(this.opts.indexHtmlPath, { hash: view });
    this.window = win;
    return win;
  }
}
