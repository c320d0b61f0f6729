// Maps the daemon's status (or its absence) to one of the four tray looks, plus the tooltip
// that tells the user *why* when work is not happening.
import type { StatusSnapshot } from '@retaia/agent-core/runtime/control-protocol.js';
import type { PowerPauseReason } from '../shared/bridge-api.js';

export type TrayState = 'idle' | 'working' | 'paused' | 'error';

export function trayStateOf(status: StatusSnapshot | undefined): TrayState {
  if (!status) return 'error';
  if (status.state === 'degraded' || status.state === 'stopped') return 'error';
  if (status.auth.state === 'reauth_required' || status.connection.state === 'disconnected') {
    return 'error';
  }
  if (status.state === 'paused') return 'paused';
  return status.currentJobs.length > 0 ? 'working' : 'idle';
}

const POWER_REASON_TEXT: Record<PowerPauseReason, string> = {
  battery: 'paused while on battery',
  not_idle: 'paused while you are using the computer',
  quiet_hours: 'paused during quiet hours',
};

export interface TooltipInput {
  status: StatusSnapshot | undefined;
  linkError?: string;
  pausedBy?: PowerPauseReason;
}

export function trayTooltip({ status, linkError, pausedBy }: TooltipInput): string {
  const title = 'Retaia Agent';
  if (!status) return `${title} — daemon unreachable${linkError ? `: ${linkError}` : ''}`;
  if (status.auth.state === 'reauth_required') return `${title} — sign-in needed (re-enrol)`;
  if (status.auth.state === 'not_enrolled') return `${title} — not enrolled with a Core`;
  if (status.connection.state === 'disconnected') {
    return `${title} — Core unreachable${status.connection.lastError ? `: ${status.connection.lastError}` : ''}`;
  }
  if (status.state === 'degraded')
    return `${title} — degraded${status.reason ? `: ${status.reason}` : ''}`;
  if (status.state === 'stopped') return `${title} — stopped`;
  if (status.state === 'paused') {
    if (pausedBy) return `${title} — ${POWER_REASON_TEXT[pausedBy]}`;
    if (status.pauseReasons.includes('quiet_hours'))
      return `${title} — ${POWER_REASON_TEXT.quiet_hours}`;
    return `${title} — paused${status.reason ? `: ${status.reason}` : ''}`;
  }
  const n = status.currentJobs.length;
  return n === 0
    ? `${title} — idle, waiting for jobs`
    : `${title} — working on ${n} job${n > 1 ? 's' : ''}`;
}
