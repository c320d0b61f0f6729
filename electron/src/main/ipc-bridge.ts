// Registers one `ipcMain.handle` per bridge method. The preload script invokes the same channel
// names (see shared/bridge-channels.ts). Every call is refused unless `isTrustedSender` vouches
// for the frame it came from (the app's own window and page; see MainWindow.ownsIpcSender).
import type { BridgeHandlers } from '../shared/bridge-api.js';
import { BRIDGE_METHODS, invokeChannel } from '../shared/bridge-channels.js';
import type { ElectronApi } from './electron-api.js';

export class ForeignSenderError extends Error {
  constructor(method: string) {
    super(`refused ${method}: the request did not come from the Retaia Agent window`);
    this.name = 'ForeignSenderError';
  }
}

export function registerBridgeIpc(
  api: ElectronApi,
  handlers: BridgeHandlers,
  isTrustedSender: (event: unknown) => boolean,
  onRefused: (method: string) => void = () => undefined,
): () => void {
  for (const method of BRIDGE_METHODS) {
    const handler = handlers[method] as (...args: unknown[]) => Promise<unknown>;
    api.ipcMain.handle(invokeChannel(method), (event, ...args) => {
      if (!isTrustedSender(event)) {
        onRefused(method);
        throw new ForeignSenderError(method);
      }
      return handler(...args);
    });
  }
  return () => {
    for (const method of BRIDGE_METHODS) api.ipcMain.removeHandler(invokeChannel(method));
  };
}
