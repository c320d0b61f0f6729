// The device-flow pairing in the window: Enrol, the code to confirm, a button opening Core's
// approval page (only ever the URL the daemon got from the configured Core; the main process
// checks it), the certificate fingerprint pinned at this first contact, and the outcome. Used
// on the first-run card of the control center and in Preferences.
import type { MessageKey } from '../i18n/messages.js';
import { useTranslate } from '../i18n/use-translate.js';
import { useAppStore } from '../state/app-store.js';

export function EnrolPanel() {
  const { t } = useTranslate();
  const enrol = useAppStore((s) => s.enrolment);
  const auth = useAppStore((s) => s.status?.auth.state);
  const savedUrl = useAppStore((s) => s.status?.coreUrl);
  const startEnrolment = useAppStore((s) => s.startEnrolment);
  const cancelEnrolment = useAppStore((s) => s.cancelEnrolment);
  const openEnrolmentPage = useAppStore((s) => s.openEnrolmentPage);
  const pending = enrol?.state === 'pending';
  const outcome: Partial<Record<NonNullable<typeof enrol>['state'], MessageKey>> = {
    approved: 'prefs.enrolApproved',
    denied: 'prefs.enrolDenied',
    expired: 'prefs.enrolExpired',
    canceled: 'prefs.enrolCanceled',
  };
  // An old "approved" says nothing once Core has dropped the credentials again.
  const stale = enrol?.state === 'approved' && auth !== 'enrolled';
  const outcomeKey = enrol && !stale ? outcome[enrol.state] : undefined;
  return (
    <div className="enrol" data-testid="enrol-panel">
      <div className="row spread">
        <div>
          <div className="label">{t('prefs.enrolment')}</div>
          <span
            className={`badge tone-${auth === 'enrolled' ? 'ok' : auth === 'enrolling' ? 'paused' : 'bad'}`}
            data-testid="enrol-auth"
          >
            {auth ? t(`auth.${auth}` as MessageKey) : '—'}
          </span>
        </div>
        {pending ? (
          <button type="button" className="secondary" onClick={() => void cancelEnrolment()}>
            {t('action.cancel')}
          </button>
        ) : (
          <button
            type="button"
            className="primary"
            data-testid="enrol-start"
            disabled={!savedUrl}
            onClick={() => void startEnrolment()}
          >
            {auth === 'enrolled' ? t('action.reenrol') : t('action.enrol')}
          </button>
        )}
      </div>
      {!savedUrl ? <p className="muted hint">{t('prefs.enrolHint')}</p> : null}
      {pending && enrol?.userCode ? (
        <div className="user-code-box">
          <div className="muted small">{t('prefs.userCode')}</div>
          <div className="user-code" data-testid="user-code">
            {enrol.userCode}
          </div>
          <div className="muted small">{t('prefs.enrolWaiting')}</div>
          <button
            type="button"
            className="primary"
            data-testid="enrol-open-page"
            onClick={() => void openEnrolmentPage()}
          >
            {t('action.openPage')}
          </button>
          {enrol.coreCertificateSha256 ? (
            <div className="muted small certificate" data-testid="enrol-certificate">
              {t('enrol.certificate')} <code>{enrol.coreCertificateSha256}</code>
            </div>
          ) : null}
        </div>
      ) : null}
      {outcomeKey ? (
        <p
          className={enrol?.state === 'approved' ? 'ok-text' : 'field-error'}
          data-testid="enrol-outcome"
        >
          {t(outcomeKey)}
          {enrol?.message && enrol.state !== 'approved' ? ` ${enrol.message}` : ''}
        </p>
      ) : null}
      {enrol?.state === 'error' ? <p className="field-error">{enrol.message}</p> : null}
    </div>
  );
}
