// Preferences → storage mounts: one row per mount (storage id, folder, Browse…), each checked
// against the share's `.retaia` marker as soon as it is complete, with the problem inline.
import { useTranslate } from '../i18n/use-translate.js';
import { type MountCheck, useAppStore } from '../state/app-store.js';
import { type MountRow, problemsFor } from '../state/config-draft.js';
import { FieldErrors, Section } from './form-parts.js';

const NO_MOUNTS: MountRow[] = [];

function MountStatus({ check }: { check: MountCheck | undefined }) {
  const { t } = useTranslate();
  if (!check) return null;
  if (check.state === 'checking') return <div className="muted small">{t('prefs.checking')}</div>;
  const r = check.result;
  return r.ok ? (
    <div className="ok-text small" data-testid="mount-ok">
      ✓ {t('prefs.markerOk', { id: r.marker?.storage_id ?? r.storageId })}
    </div>
  ) : (
    <div className="field-error small" data-testid="mount-problem">
      {r.problem}
    </div>
  );
}

export function MountsEditor() {
  const { t } = useTranslate();
  const mounts = useAppStore((s) => s.draft?.mounts ?? NO_MOUNTS);
  const problems = useAppStore((s) => s.problems);
  const checks = useAppStore((s) => s.mountChecks);
  const { editMount, addMount, removeMount, pickFolder, checkMount } = useAppStore.getState();
  return (
    <Section title={t('prefs.mounts')} hint={t('prefs.mountsHint')}>
      {mounts.length === 0 ? <p className="empty">{t('prefs.noMounts')}</p> : null}
      <div className="mounts" data-testid="mounts">
        {mounts.map((m) => {
          const errors = [
            ...problemsFor(problems, `storage_mounts.${m.storageId}`),
            ...problemsFor(problems, `storage_mounts.#${m.key}`),
          ];
          return (
            <div className="mount" key={m.key} data-testid="mount-row">
              <div className="mount-fields">
                <input
                  className="mount-id"
                  aria-label={t('prefs.storageId')}
                  placeholder={t('prefs.storageId')}
                  data-testid="mount-id"
                  value={m.storageId}
                  onChange={(e) => editMount(m.key, { storageId: e.target.value.trim() })}
                  onBlur={() => void checkMount(m.key)}
                />
                <input
                  className="mount-path"
                  aria-label={t('prefs.path')}
                  placeholder="/mnt/nas"
                  data-testid="mount-path"
                  value={m.path}
                  onChange={(e) => editMount(m.key, { path: e.target.value })}
                  onBlur={() => void checkMount(m.key)}
                />
                <button
                  type="button"
                  className="secondary"
                  data-testid="mount-browse"
                  onClick={() => void pickFolder(m.key)}
                >
                  {t('action.browse')}
                </button>
                <button
                  type="button"
                  className="icon"
                  title={t('action.remove')}
                  aria-label={t('action.remove')}
                  onClick={() => removeMount(m.key)}
                >
                  ✕
                </button>
              </div>
              <FieldErrors messages={errors} />
              <MountStatus check={checks[m.key]} />
            </div>
          );
        })}
      </div>
      <button type="button" className="secondary" data-testid="mount-add" onClick={addMount}>
        + {t('action.add')}
      </button>
    </Section>
  );
}
