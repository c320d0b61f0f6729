// The preload bridge, typed by the one shared contract.
import type { RetaiaBridge } from '../../electron/src/shared/bridge-api.js';

declare global {
  interface Window {
    retaia: RetaiaBridge;
  }
}

export const bridge = (): RetaiaBridge => window.retaia;
