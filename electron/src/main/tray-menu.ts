// The tray menu as plain data, so its content is testable without Electron. `tray.ts` turns it
// into a native menu and wires the actions. Its words come from the window's dictionaries, so
// the tray speaks the same language (English or French) as the window.
import type { StatusSnapshot } from '@retaia/agent-core/runtime/control-protocol.js';
import type { Language } from '../../../renderer/src/i18n/messages.js';
import { translator } from '../../../renderer/src/i18n/translate.js';
import { trayStateOf } from './tray-state.js';

export type TrayAction =
  'open' | 'preferences' | 'pause' | 'resume' | 'refresh' | 'review' | 'restart' | 'quit';

export type TrayMenuItem =
  | { kind: 'action'; id: TrayAction; label: string; enabled: boolean }
  | { kind: 'status'; label: string }
  | { kind: 'separator' };

const STATE_KEY = {
  idle: 'state.idle',
  working: 'state.working',
  paused: 'state.paused',
  error: 'tray.needsAttention',
} as const;

/** At most this many running jobs get a progress line of their own. */
const MAX_JOB_LINES = 3;

/** Core's review page, next to its API: `https://nas:8443/api/v1` → `https://nas:8443/review/`. */
export function reviewPageUrl(coreUrl: string | undefined): string | undefined {
  if (!coreUrl) return undefined;
  try {
    const url = new URL(coreUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return new URL(`${url.pathname.replace(/\/api\/v1\/?$/, '')}/review/`, url.origin).href;
  } catch {
    return undefined;
  }
}

export function trayMenuModel(
  status: StatusSnapshot | undefined,
  lang: Language = 'en',
): TrayMenuItem[] {
  const t = translator(lang);
  const state = trayStateOf(status);
  const jobs = status?.currentJobs ?? [];
  const stateLabel = t(STATE_KEY[state]);
  const statusLine = !status
    ? t('tray.unreachable')
    : jobs.length > 1
      ? t('tray.statusJobs', { state: stateLabel, n: jobs.length })
      : jobs.length === 1
        ? t('tray.statusJob', { state: stateLabel })
        : t('tray.status', { state: stateLabel });
  const jobLines: TrayMenuItem[] = jobs.slice(0, MAX_JOB_LINES).map((job) => ({
    kind: 'status',
    label: t('tray.jobProgress', {
      file: job.sourceName.split(/[\\/]/).pop() ?? job.sourceName,
      stage: job.stage,
      percent: job.percent === undefined ? '' : `${Math.round(job.percent)} %`,
    }).trim(),
  }));
  const paused = status?.state === 'paused';
  return [
    { kind: 'action', id: 'open', label: t('tray.open'), enabled: true },
    { kind: 'status', label: statusLine },
    ...jobLines,
    { kind: 'separator' },
    ...(status
      ? []
      : [{ kind: 'action', id: 'restart', label: t('tray.restart'), enabled: true } as const]),
    {
      kind: 'action',
      id: 'review',
      label: t('tray.openReview'),
      enabled: reviewPageUrl(status?.coreUrl) !== undefined,
    },
    paused
      ? { kind: 'action', id: 'resume', label: t('action.resume'), enabled: status !== undefined }
      : { kind: 'action', id: 'pause', label: t('action.pause'), enabled: status !== undefined },
    { kind: 'action', id: 'refresh', label: t('tray.refresh'), enabled: status !== undefined },
    { kind: 'action', id: 'preferences', label: t('tray.preferences'), enabled: true },
    { kind: 'separator' },
    { kind: 'action', id: 'quit', label: t('tray.quit'), enabled: true },
  ];
}
