import { useEffect } from 'react';
import { ControlCenter, headline } from './components/ControlCenter.js';
import { Preferences } from './components/Preferences.js';
import { useTranslate } from './i18n/use-translate.js';
import { useAppStore } from './state/app-store.js';

function Notice() {
  const { t } = useTranslate();
  const notice = useAppStore((s) => s.notice);
  const dismiss = useAppStore((s) => s.dismissNotice);
  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(dismiss, notice.kind === 'info' ? 2500 : 8000);
    return () => clearTimeout(timer);
  }, [notice, dismiss]);
  if (!notice) return null;
  return (
    <div className={`notice ${notice.kind}`} role="status" data-testid="notice" onClick={dismiss}>
      {notice.kind === 'info' && notice.text === 'copied' ? t('action.copied') : notice.text}
    </div>
  );
}

export function App() {
  const { t } = useTranslate();
  const view = useAppStore((s) => s.view);
  const setView = useAppStore((s) => s.setView);
  const status = useAppStore((s) => s.status);
  const link = useAppStore((s) => s.link);
  useEffect(() => useAppStore.getState().init(), []);
  const { label, tone } = headline(link === 'disconnected' ? undefined : status, t);
  return (
    <div className="app">
      <nav className="sidebar">
        <div className="brand">
          <div className="brand-mark" aria-hidden>
            R
          </div>
          <div>
            <div className="brand-name">Retaia Agent</div>
            <div className="brand-state">
              <span className={`dot tone-${tone}`} aria-hidden /> {label}
            </div>
          </div>
        </div>
        <button
          type="button"
          className={view === 'control' ? 'nav active' : 'nav'}
          data-testid="nav-control"
          onClick={() => setView('control')}
        >
          {t('nav.control')}
        </button>
        <button
          type="button"
          className={view === 'preferences' ? 'nav active' : 'nav'}
          data-testid="nav-preferences"
          onClick={() => setView('preferences')}
        >
          {t('nav.preferences')}
        </button>
      </nav>
      <main className="content">{view === 'control' ? <ControlCenter /> : <Preferences />}</main>
      <Notice />
    </div>
  );
}
