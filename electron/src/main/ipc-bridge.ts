// Registers one `ipcMain.handle` per bridge method. The preload script invokes the same channel
// names (see shared/bridge-channels.ts).
import type { BridgeHandlers } from '../shared/bridge-api.js';
import { BRIDGE_METHODS, invokeChannel } from '../shared/bridge-channels.js';
import type { ElectronApi } from './electron-api.js';

export function registerBridgeIpc(api: ElectronApi, handlers: BridgeHandlers): () => void {
  for (const method of BRIDGE_METHODS) {
    const handler = handlers[method] as (...args: unknown[]) => Promise<unknown>;
    api.ipcMain.handle(invokeChannel(method), (_event, ...args) => handler(...args));
  }
  return () => {
    for (const method of BRIDGE_METHODS) api.ipcMain.removeHandler(invokeChannel(method));
  };
}
