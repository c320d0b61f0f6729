// Start-at-login is opt-in; the OS keeps the truth, this only mirrors the preference into it.
import type { ElectronApi } from './electron-api.js';

export function applyLoginItem(api: ElectronApi, openAtLogin: boolean): void {
  // Unpackaged (development) builds would register the bare Electron binary: skip them.
  if (!api.app.isPackaged) return;
  if (api.app.getLoginItemSettings().openAtLogin === openAtLogin) return;
  api.app.setLoginItemSettings({ openAtLogin, openAsHidden: true, args: ['--hidden'] });
}
