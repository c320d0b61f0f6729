import { useState } from 'react';
import type {
  JobHistoryEntry,
  StatusSnapshot,
} from '@retaia/agent-core/runtime/control-protocol.js';
import { useTranslate } from '../i18n/use-translate.js';
import type { MessageKey } from '../i18n/messages.js';
import type { Translate } from '../i18n/translate.js';
import { isUserPaused, useAppStore } from '../state/app-store.js';
import { parseCertificateChange } from '@retaia/agent-core/core-api/certificate-change.js';
import { EnrolPanel } from './EnrolPanel.js';
import { problemsFor } from '../state/config-draft.js';
import { formatDuration, formatTime, jobLabel } from './format.js';

type Tone = 'ok' | 'busy' | 'paused' | 'bad';

// Stable empty lists: a fresh [] in a selector would re-render forever.
const NO_JOBS: StatusSnapshot['currentJobs'] = [];
const NO_HISTORY: JobHistoryEntry[] = [];

export function headline(
  status: StatusSnapshot | undefined,
  t: Translate,
): { label: string; tone: Tone } {
  if (!status) return { label: t('state.unreachable'), tone: 'bad' };
  if (status.state === 'paused') return { label: t('state.paused'), tone: 'paused' };
  if (status.state === 'degraded') return { label: t('state.degraded'), tone: 'bad' };
  if (status.state === 'stopped') return { label: t('state.stopped'), tone: 'bad' };
  return status.currentJobs.length > 0
    ? { label: t('state.working'), tone: 'busy' }
    : { label: t('state.idle'), tone: 'ok' };
}

function StatusHero() {
  const { t } = useTranslate();
  const status = useAppStore((s) => s.status);
  const link = useAppStore((s) => s.link);
  const linkMessage = useAppStore((s) => s.linkMessage);
  const pausedBy = useAppStore((s) => s.pausedBy);
  const busy = useAppStore((s) => s.busy);
  const togglePause = useAppStore((s) => s.togglePause);
  const refreshNow = useAppStore((s) => s.refreshNow);
  const copyDiagnostics = useAppStore((s) => s.copyDiagnostics);
  const restartDaemon = useAppStore((s) => s.restartDaemon);
  const shown = link === 'disconnected' ? undefined : status;
  const { label, tone } = headline(shown, t);

  let detail: string;
  const pauseText = (reasons: string[]) =>
    reasons.map((r) => t(`reason.${r}` as MessageKey)).join(' · ');
  const authHint: Partial<Record<StatusSnapshot['auth']['state'], MessageKey>> = {
    not_enrolled: 'enrol.needed',
    enrolling: 'enrol.approveInBrowser',
    reauth_required: 'enrol.again',
  };
  const authKey = shown ? authHint[shown.auth.state] : undefined;
  // The daemon's own reason for "not enrolled" names the CLI; the window has the Enrol button.
  // Any other reason (a missing mount, a certificate problem) stays as the daemon wrote it.
  const reason =
    authKey && (!shown?.reason || /enrol/i.test(shown.reason)) ? t(authKey) : shown?.reason;
  if (!shown) detail = [t('state.unreachableHelp'), linkMessage].filter(Boolean).join(' — ');
  else if (shown.state === 'paused') {
    const reasons = [...new Set([...shown.pauseReasons, ...(pausedBy ? [pausedBy] : [])])];
    detail = reasons.length > 0 ? pauseText(reasons) : (reason ?? '');
  } else if (shown.state === 'degraded' || shown.state === 'stopped') {
    detail = [reason, pauseText(shown.pauseReasons)].filter(Boolean).join(' · ');
  } else if (shown.currentJobs.length > 1)
    detail = t('state.jobsRunning', { n: shown.currentJobs.length });
  else if (shown.currentJobs.length === 1) detail = t('state.jobRunning');
  else detail = reason ?? t('state.waiting');

  return (
    <section className="hero" data-testid="status-hero">
      <div className={`hero-dot tone-${tone}`} aria-hidden />
      <div className="hero-text">
        <h1 data-testid="daemon-state">{label}</h1>
        <p className="muted" data-testid="daemon-reason">
          {detail}
        </p>
      </div>
      <div className="hero-actions">
        <button
          type="button"
          className="secondary"
          onClick={() => void copyDiagnostics()}
          disabled={!shown}
        >
          {t('action.copyDiagnostics')}
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => void refreshNow()}
          disabled={!shown || busy}
        >
          {t('action.refresh')}
        </button>
        {shown ? (
          <button
            type="button"
            className="primary"
            data-testid="pause-toggle"
            onClick={() => void togglePause()}
            disabled={busy}
          >
            {isUserPaused(shown) ? t('action.resume') : t('action.pause')}
          </button>
        ) : (
          <button
            type="button"
            className="primary"
            data-testid="restart-daemon"
            onClick={() => void restartDaemon()}
            disabled={busy}
          >
            {t('action.restartDaemon')}
          </button>
        )}
      </div>
    </section>
  );
}

function CurrentJobs() {
  const { t, lang } = useTranslate();
  const jobs = useAppStore((s) => s.jobs?.current ?? s.status?.currentJobs ?? NO_JOBS);
  return (
    <section className="card">
      <h2>{t('jobs.current')}</h2>
      {jobs.length === 0 ? (
        <p className="empty">{t('jobs.none')}</p>
      ) : (
        <ul className="job-list" data-testid="current-jobs">
          {jobs.map((job) => (
            <li key={job.jobId} className="job" data-testid="current-job">
              <div className="job-head">
                <span className="job-name" title={job.sourceName}>
                  {job.sourceName}
                </span>
                <span className="pill">{jobLabel(job.jobType)}</span>
              </div>
              <div
                className="progress"
                role="progressbar"
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={job.percent}
              >
                <div
                  className={
                    job.percent === undefined ? 'progress-bar indeterminate' : 'progress-bar'
                  }
                  style={
                    job.percent === undefined
                      ? undefined
                      : { width: `${Math.max(2, Math.min(100, job.percent))}%` }
                  }
                />
              </div>
              <div className="job-meta muted">
                <span>
                  {job.stage}
                  {job.percent !== undefined ? ` · ${Math.round(job.percent)} %` : ''}
                </span>
                <span>{t('jobs.started', { time: formatTime(job.startedAt, lang) })}</span>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

const OUTCOME_TONE: Record<JobHistoryEntry['outcome'], Tone> = {
  completed: 'ok',
  failed: 'bad',
  lease_lost: 'paused',
  aborted: 'paused',
};

function History() {
  const { t, lang } = useTranslate();
  const history = useAppStore((s) => s.jobs?.history ?? NO_HISTORY);
  return (
    <section className="card">
      <h2>{t('jobs.history')}</h2>
      {history.length === 0 ? (
        <p className="empty">{t('jobs.historyNone')}</p>
      ) : (
        <table className="history" data-testid="history">
          <thead>
            <tr>
              <th>{t('jobs.file')}</th>
              <th>{t('jobs.type')}</th>
              <th>{t('jobs.outcome')}</th>
              <th className="num">{t('jobs.duration')}</th>
              <th className="num">{t('jobs.finished')}</th>
            </tr>
          </thead>
          <tbody>
            {history.slice(0, 20).flatMap((h) => [
              <tr key={`${h.jobId}-${h.finishedAt}`} data-testid="history-row">
                <td className="ellipsis" title={h.sourceName}>
                  {h.sourceName}
                </td>
                <td>{jobLabel(h.jobType)}</td>
                <td>
                  <span
                    className={`badge tone-${OUTCOME_TONE[h.outcome]}`}
                    title={h.message ?? h.errorCode ?? ''}
                  >
                    {t(`outcome.${h.outcome}` as MessageKey)}
                  </span>
                </td>
                <td className="num">{formatDuration(h.durationMs)}</td>
                <td className="num muted">{formatTime(h.finishedAt, lang)}</td>
              </tr>,
              // Why a job did not complete, in plain sight rather than in a tooltip.
              h.outcome !== 'completed' && (h.message ?? h.errorCode) ? (
                <tr key={`${h.jobId}-${h.finishedAt}-reason`} className="history-reason">
                  <td colSpan={5} data-testid="history-reason">
                    <span className="label">{t('jobs.reason')}:</span>{' '}
                    {[h.errorCode, h.message].filter(Boolean).join(' — ')}
                  </td>
                </tr>
              ) : null,
            ])}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Connection() {
  const { t } = useTranslate();
  const status = useAppStore((s) => s.status);
  const link = useAppStore((s) => s.link);
  if (!status || link === 'disconnected') return null;
  const connTone: Tone =
    status.connection.state === 'connected'
      ? 'ok'
      : status.connection.state === 'connecting'
        ? 'paused'
        : 'bad';
  const authTone: Tone =
    status.auth.state === 'enrolled' ? 'ok' : status.auth.state === 'enrolling' ? 'paused' : 'bad';
  return (
    <section className="card">
      <h2>{t('conn.title')}</h2>
      <dl className="facts">
        <dt>{t('conn.core')}</dt>
        <dd className="ellipsis">
          {status.coreUrl ?? <span className="muted">{t('conn.notSet')}</span>}
        </dd>
        <dt>{t('conn.connection')}</dt>
        <dd data-testid="connection-state">
          <span className={`badge tone-${connTone}`}>
            {t(`conn.${status.connection.state}` as MessageKey)}
          </span>
          {status.connection.lastError &&
          status.connection.state !== 'connected' &&
          // A certificate change has its own card with both fingerprints.
          !parseCertificateChange(status.connection.lastError) ? (
            <span className="muted small"> {status.connection.lastError}</span>
          ) : null}
        </dd>
        <dt>{t('conn.auth')}</dt>
        <dd data-testid="auth-state">
          <span className={`badge tone-${authTone}`}>
            {t(`auth.${status.auth.state}` as MessageKey)}
          </span>
        </dd>
        <dt>{t('conn.agent')}</dt>
        <dd className="muted">
          {status.agentName} · v{status.agentVersion}
        </dd>
      </dl>
    </section>
  );
}

/** First run (or lost credentials): Core URL if missing, then the pairing flow, in the window. */
function EnrolCard() {
  const { t } = useTranslate();
  const status = useAppStore((s) => s.status);
  const link = useAppStore((s) => s.link);
  const enrolState = useAppStore((s) => s.enrolment?.state);
  const problems = useAppStore((s) => s.problems);
  const saveCoreUrl = useAppStore((s) => s.saveCoreUrl);
  const [url, setUrl] = useState('');
  if (!status || link === 'disconnected') return null;
  const needed = status.auth.state !== 'enrolled' || enrolState === 'pending';
  if (!needed) return null;
  return (
    <section className="card enrol-card" data-testid="enrol-card">
      <h2>{t('enrol.title')}</h2>
      <p className="muted hint">{t('enrol.intro')}</p>
      {!status.coreUrl ? (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            void saveCoreUrl(url);
          }}
        >
          <label className="field grow">
            <span className="label">{t('prefs.coreUrl')}</span>
            <input
              type="url"
              data-testid="first-core-url"
              placeholder="https://nas.local:8443"
              value={url}
              onChange={(e) => setUrl(e.target.value)}
            />
            {problemsFor(problems, 'core_url').map((m) => (
              <span key={m} className="field-error" role="alert">
                {m}
              </span>
            ))}
          </label>
          <button type="submit" className="secondary" data-testid="first-core-url-save">
            {t('enrol.saveUrl')}
          </button>
        </form>
      ) : null}
      <EnrolPanel />
    </section>
  );
}

/** Core presented another certificate than the pinned one: say so, offer to trust it. */
function CertificateChanged() {
  const { t } = useTranslate();
  const status = useAppStore((s) => s.status);
  const busy = useAppStore((s) => s.busy);
  const acceptCertificate = useAppStore((s) => s.acceptCertificate);
  const change = parseCertificateChange(
    [status?.connection.lastError, status?.reason].filter(Boolean).join('\n'),
  );
  if (!change) return null;
  return (
    <section className="card cert-changed" role="alert" data-testid="certificate-changed">
      <h2>{t('cert.changed')}</h2>
      <p className="hint">{t('cert.changedHint')}</p>
      <dl className="facts">
        <dt>{t('cert.pinned')}</dt>
        <dd>
          <code>{change.pinned}</code>
        </dd>
        <dt>{t('cert.presented')}</dt>
        <dd>
          <code data-testid="certificate-presented">{change.presented}</code>
        </dd>
      </dl>
      <button
        type="button"
        className="primary"
        data-testid="certificate-trust"
        disabled={busy}
        onClick={() => void acceptCertificate(change.presented, t('cert.trusted'))}
      >
        {t('cert.trust')}
      </button>
    </section>
  );
}

export function ControlCenter() {
  return (
    <div className="page">
      <StatusHero />
      <CertificateChanged />
      <EnrolCard />
      <div className="grid">
        <div className="col-main">
          <CurrentJobs />
          <History />
        </div>
        <div className="col-side">
          <Connection />
        </div>
      </div>
    </div>
  );
}
