// The tray menu as plain data, so its content is testable without Electron. `tray.ts` turns it
// into a native menu and wires the actions.
import type { StatusSnapshot } from '@retaia/agent-core/runtime/control-protocol.js';
import { trayStateOf } from './tray-state.js';

export type TrayAction = 'open' | 'preferences' | 'pause' | 'resume' | 'refresh' | 'quit';

export type TrayMenuItem =
  | { kind: 'action'; id: TrayAction; label: string; enabled: boolean }
  | { kind: 'status'; label: string }
  | { kind: 'separator' };

const STATE_LABEL = {
  idle: 'Idle',
  working: 'Working',
  paused: 'Paused',
  error: 'Needs attention',
} as const;

export function trayMenuModel(status: StatusSnapshot | undefined): TrayMenuItem[] {
  const state = trayStateOf(status);
  const jobs = status?.currentJobs.length ?? 0;
  const statusLine = !status
    ? 'Status: daemon unreachable'
    : `Status: ${STATE_LABEL[state]}${jobs > 0 ? ` (${jobs} job${jobs > 1 ? 's' : ''})` : ''}`;
  const paused = status?.state === 'paused';
  return [
    { kind: 'action', id: 'open', label: 'Open Retaia Agent', enabled: true },
    { kind: 'status', label: statusLine },
    { kind: 'separator' },
    paused
      ? { kind: 'action', id: 'resume', label: 'Resume', enabled: status !== undefined }
      : { kind: 'action', id: 'pause', label: 'Pause', enabled: status !== undefined },
    { kind: 'action', id: 'refresh', label: 'Refresh now', enabled: status !== undefined },
    { kind: 'action', id: 'preferences', label: 'Preferences…', enabled: true },
    { kind: 'separator' },
    { kind: 'action', id: 'quit', label: 'Quit', enabled: true },
  ];
}
