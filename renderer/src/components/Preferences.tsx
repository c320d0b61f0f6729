// Preferences: Core and enrolment, storage mounts (MountsEditor.tsx), runtime and power
// settings, transcription models and the desktop app's own preferences. Edits go to the store's
// config draft; Save validates with the CLI's messages before the daemon stores it.
import type { MessageKey } from '../i18n/messages.js';
import { useTranslate } from '../i18n/use-translate.js';
import { EnrolPanel } from './EnrolPanel.js';
import { ModelsManager } from './ModelsManager.js';
import { VideoEncoderField } from './VideoEncoderField.js';
import { useAppStore } from '../state/app-store.js';
import { problemsFor } from '../state/config-draft.js';
import { FieldErrors, Section, Toggle } from './form-parts.js';
import { MountsEditor } from './MountsEditor.js';

function ModelsSection() {
  const { t } = useTranslate();
  return (
    <Section title={t('prefs.models')} hint={t('prefs.modelsHint')}>
      <ModelsManager />
    </Section>
  );
}

const CPU_LEVELS: { nice: number; key: MessageKey }[] = [
  { nice: 0, key: 'prefs.cpu.normal' },
  { nice: 10, key: 'prefs.cpu.low' },
  { nice: 19, key: 'prefs.cpu.lowest' },
];

export function Preferences() {
  const { t } = useTranslate();
  const draft = useAppStore((s) => s.draft);
  const problems = useAppStore((s) => s.problems);
  const saveState = useAppStore((s) => s.saveState);
  const saveMessage = useAppStore((s) => s.saveMessage);
  const prefs = useAppStore((s) => s.prefs);
  const secretStore = useAppStore((s) => s.config?.secretStore);
  const { editDraft, saveDraft, revertDraft, setPreferences } = useAppStore.getState();
  if (!draft)
    return (
      <div className="page">
        <p className="muted">…</p>
      </div>
    );
  const dirty = saveState === 'dirty' || saveState === 'invalid' || saveState === 'error';
  return (
    <div className="page prefs">
      <Section title={t('prefs.core')}>
        <label className="field">
          <span className="label">{t('prefs.coreUrl')}</span>
          <input
            type="url"
            data-testid="core-url"
            placeholder="https://nas.local:8443"
            value={draft.coreUrl}
            onChange={(e) => editDraft({ coreUrl: e.target.value })}
          />
          <FieldErrors messages={problemsFor(problems, 'core_url')} testId="core-url-error" />
          <span className="muted small">{t('prefs.coreUrlHint')}</span>
        </label>
        <label className="field">
          <span className="label">{t('prefs.coreCaFile')}</span>
          <input
            data-testid="core-ca-file"
            placeholder="/etc/retaia/nas-certificate.pem"
            value={draft.coreCaFile}
            onChange={(e) => editDraft({ coreCaFile: e.target.value })}
          />
          <FieldErrors
            messages={problemsFor(problems, 'core_ca_file')}
            testId="core-ca-file-error"
          />
          <span className="muted small">{t('prefs.coreCaFileHint')}</span>
        </label>
        <label className="field">
          <span className="label">{t('prefs.agentName')}</span>
          <input
            value={draft.agentName}
            onChange={(e) => editDraft({ agentName: e.target.value })}
          />
          <FieldErrors messages={problemsFor(problems, 'agent_name')} />
          <span className="muted small">{t('prefs.agentNameHint')}</span>
        </label>
        <EnrolPanel />
        {secretStore ? (
          <p className="muted small">{t('prefs.secretStore', { where: secretStore.detail })}</p>
        ) : null}
      </Section>

      <MountsEditor />

      <Section title={t('prefs.runtime')}>
        <div className="two-col">
          <label className="field">
            <span className="label">{t('prefs.parallel')}</span>
            <input
              type="number"
              min={1}
              max={32}
              data-testid="parallel-jobs"
              value={Number.isNaN(draft.maxParallelJobs) ? '' : draft.maxParallelJobs}
              onChange={(e) => editDraft({ maxParallelJobs: e.target.valueAsNumber })}
            />
            <FieldErrors messages={problemsFor(problems, 'max_parallel_jobs')} />
            <span className="muted small">{t('prefs.parallelHint')}</span>
          </label>
          <label className="field">
            <span className="label">{t('prefs.cpuPriority')}</span>
            <select
              value={draft.cpuPriority}
              onChange={(e) => editDraft({ cpuPriority: Number(e.target.value) })}
            >
              {CPU_LEVELS.map((l) => (
                <option key={l.nice} value={l.nice}>
                  {t(l.key)}
                </option>
              ))}
              {CPU_LEVELS.some((l) => l.nice === draft.cpuPriority) ? null : (
                <option value={draft.cpuPriority}>nice {draft.cpuPriority}</option>
              )}
            </select>
            <span className="muted small">{t('prefs.cpuPriorityHint')}</span>
          </label>
          <VideoEncoderField
            value={draft.videoEncoder}
            onChange={(videoEncoder) => editDraft({ videoEncoder })}
          />
        </div>
      </Section>

      <Section title={t('prefs.power')}>
        <div className="toggles">
          <Toggle
            label={t('prefs.pauseOnBattery')}
            checked={draft.pauseOnBattery}
            onChange={(v) => editDraft({ pauseOnBattery: v })}
            testId="pause-on-battery"
          />
          <Toggle
            label={t('prefs.quietHours')}
            checked={draft.respectQuietHours}
            onChange={(v) => editDraft({ respectQuietHours: v })}
          />
          <Toggle
            label={t('prefs.onlyWhenIdle')}
            checked={draft.onlyWhenIdle}
            onChange={(v) => editDraft({ onlyWhenIdle: v })}
          />
          {draft.onlyWhenIdle && prefs ? (
            <label className="field inline">
              <span className="label">{t('prefs.idleMinutes')}</span>
              <input
                type="number"
                min={1}
                max={240}
                value={prefs.idleMinutes}
                onChange={(e) =>
                  Number.isInteger(e.target.valueAsNumber) &&
                  void setPreferences({ idleMinutes: e.target.valueAsNumber })
                }
              />
            </label>
          ) : null}
        </div>
      </Section>

      <ModelsSection />

      {prefs ? (
        <Section title={t('prefs.app')}>
          <div className="toggles">
            <Toggle
              label={t('prefs.openAtLogin')}
              checked={prefs.openAtLogin}
              onChange={(v) => void setPreferences({ openAtLogin: v })}
            />
            <Toggle
              label={t('prefs.notifications')}
              checked={prefs.notifications}
              onChange={(v) => void setPreferences({ notifications: v })}
            />
            <label className="field inline">
              <span className="label">{t('prefs.language')}</span>
              <select
                data-testid="language"
                value={prefs.language}
                onChange={(e) =>
                  void setPreferences({ language: e.target.value as typeof prefs.language })
                }
              >
                <option value="auto">{t('prefs.lang.auto')}</option>
                <option value="en">English</option>
                <option value="fr">Français</option>
              </select>
            </label>
          </div>
        </Section>
      ) : null}

      <footer className="save-bar" data-testid="save-bar">
        <span
          className={
            saveState === 'saved'
              ? 'ok-text'
              : saveState === 'invalid' || saveState === 'error'
                ? 'field-error'
                : 'muted'
          }
          data-testid="save-state"
        >
          {saveState === 'saved'
            ? t('prefs.saved')
            : saveState === 'invalid'
              ? t('prefs.invalid')
              : saveState === 'error'
                ? t('error.generic', { message: saveMessage ?? '' })
                : dirty
                  ? t('prefs.unsaved')
                  : ''}
        </span>
        <div className="row">
          <button type="button" className="secondary" disabled={!dirty} onClick={revertDraft}>
            {t('action.revert')}
          </button>
          <button
            type="button"
            className="primary"
            data-testid="save"
            disabled={!dirty || saveState === ('saving' as string)}
            onClick={() => void saveDraft()}
          >
            {t('action.save')}
          </button>
        </div>
      </footer>
    </div>
  );
}
