// The only bridge between the sandboxed renderer and the app: a typed `window.retaia` whose
// methods invoke fixed IPC channels. No Node API, no raw ipcRenderer, no secrets cross it.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { BridgeEvent, BridgeHandlers, RetaiaBridge } from '../shared/bridge-api.js';
import { BRIDGE_METHODS, EVENT_CHANNEL, invokeChannel } from '../shared/bridge-channels.js';

// Electron prefixes rejected invokes with "Error invoking remote method '…': Error: "; the user
// should only see the message the main process wrote.
const cleanError = (err: unknown): Error => {
  const msg = err instanceof Error ? err.message : String(err);
  return new Error(msg.replace(/^Error invoking remote method '[^']+': (\w*Error: )?/, ''));
};

const invokers = Object.fromEntries(
  BRIDGE_METHODS.map((method) => [
    method,
    (...args: unknown[]) =>
      ipcRenderer.invoke(invokeChannel(method), ...args).catch((e: unknown) => {
        throw cleanError(e);
      }),
  ]),
) as unknown as BridgeHandlers;

const bridge: RetaiaBridge = {
  ...invokers,
  onEvent(listener) {
    const wrapped = (_e: IpcRendererEvent, event: BridgeEvent) => listener(event);
    ipcRenderer.on(EVENT_CHANNEL, wrapped);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('retaia', bridge);
