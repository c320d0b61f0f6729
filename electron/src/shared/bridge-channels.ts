// IPC channel names shared by main and preload, derived from the method names so the two sides
// cannot drift apart.
import type { DaemonControl } from '@retaia/agent-core/runtime/control-protocol.js';
import type { BridgeMethod } from './bridge-api.js';

/**
 * Daemon operations the window calls under the daemon's own names and arguments (DaemonControl);
 * main forwards each one in bridge-handlers.ts. Pause and resume are bridged without a reason.
 */
export const BRIDGED_DAEMON_METHODS = [
  'status',
  'jobs',
  'refresh',
  'refreshCapabilities',
  'models',
  'getConfig',
  'validateConfig',
  'saveConfig',
  'validateMount',
  'startEnrolment',
  'enrolment',
  'cancelEnrolment',
  'diagnostics',
] as const satisfies readonly (keyof DaemonControl)[];

export const BRIDGE_METHODS = [
  ...BRIDGED_DAEMON_METHODS,
  'pause',
  'resume',
  'getModelCatalogue',
  'downloadModel',
  'cancelModelDownload',
  'addModelFile',
  'useModel',
  'removeModel',
  'pickFolder',
  'openEnrolmentPage',
  'restartDaemon',
  'acceptCoreCertificate',
  'copyToClipboard',
  'getPreferences',
  'setPreferences',
] as const satisfies readonly BridgeMethod[];

// Compile-time check that the list is complete.
type Missing = Exclude<BridgeMethod, (typeof BRIDGE_METHODS)[number]>;
const _complete: Missing extends never ? true : Missing = true;
void _complete;

export const invokeChannel = (method: BridgeMethod): string => `retaia:${method}`;
export const EVENT_CHANNEL = 'retaia:event';
