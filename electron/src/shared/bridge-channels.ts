// IPC channel names shared by main and preload, derived from the method names so the two sides
// cannot drift apart.
import type { BridgeMethod } from './bridge-api.js';

export const BRIDGE_METHODS = [
  'status',
  'jobs',
  'pause',
  'resume',
  'refresh',
  'refreshCapabilities',
  'models',
  'getModelCatalogue',
  'downloadModel',
  'cancelModelDownload',
  'addModelFile',
  'useModel',
  'removeModel',
  'getConfig',
  'validateConfig',
  'saveConfig',
  'validateMount',
  'pickFolder',
  'startEnrolment',
  'cancelEnrolment',
  'enrolment',
  'openEnrolmentPage',
  'diagnostics',
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
