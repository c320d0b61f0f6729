// The whisper models section of Preferences: what is installed (as the daemon sees it) with Use
// and Remove, the downloadable catalogue with a progress bar and Cancel, and "Add file…" (the
// main process shows the file dialog). Every button is a real <button>: keyboard-usable as is.
import { useEffect, useRef, useState } from 'react';
import type { ModelView } from '../../../electron/src/shared/bridge-api.js';
import { useTranslate } from '../i18n/use-translate.js';
import { useAppStore } from '../state/app-store.js';
import { useModelManager } from '../state/model-manager.js';
import { formatBytes } from './format.js';

function RemoveConfirm({ model, onDone }: { model: ModelView; onDone(): void }) {
  const { t } = useTranslate();
  const remove = useModelManager((s) => s.remove);
  const cancelRef = useRef<HTMLButtonElement>(null);
  // Focus the safe choice, so Enter right after "Remove" does not delete anything.
  useEffect(() => cancelRef.current?.focus(), []);
  return (
    <div
      className="model-confirm"
      role="alertdialog"
      aria-label={t('prefs.models.confirmRemove', { name: model.name })}
      data-testid="model-remove-confirm"
      onKeyDown={(e) => {
        if (e.key === 'Escape') onDone();
      }}
    >
      <span className="small">
        {t('prefs.models.confirmRemove', { name: model.name })}{' '}
        {t(
          model.source === 'downloaded'
            ? 'prefs.models.removeDeletes'
            : 'prefs.models.removeKeepsFile',
        )}
      </span>
      <div className="row">
        <button
          type="button"
          className="danger"
          data-testid="model-remove-yes"
          onClick={() => {
            onDone();
            void remove(model.name);
          }}
        >
          {t('prefs.models.remove')}
        </button>
        <button type="button" className="secondary" ref={cancelRef} onClick={onDone}>
          {t('action.cancel')}
        </button>
      </div>
    </div>
  );
}

function InstalledModels({ models }: { models: ModelView[] }) {
  const { t } = useTranslate();
  const pending = useModelManager((s) => s.pending);
  const use = useModelManager((s) => s.use);
  const [confirming, setConfirming] = useState<string>();
  return (
    <table className="models">
      <thead>
        <tr>
          <th>{t('prefs.model.name')}</th>
          <th className="num">{t('prefs.model.size')}</th>
          <th>{t('prefs.model.status')}</th>
        </tr>
      </thead>
      <tbody>
        {models.map((m) => (
          <tr key={m.name} data-testid="model-row" data-model={m.name}>
            <td>
              <div className="model-name">
                {m.name}{' '}
                <span className="muted small">
                  {m.modelType === m.name ? '' : `${m.modelType} · `}
                  {m.multilingual ? t('prefs.model.multilingual') : t('prefs.model.englishOnly')}
                </span>
              </div>
              <div className="muted small model-path" title={m.path}>
                {m.path}
              </div>
              {confirming === m.name ? (
                <RemoveConfirm model={m} onDone={() => setConfirming(undefined)} />
              ) : null}
            </td>
            <td className="num">{formatBytes(m.sizeBytes)}</td>
            <td>
              <div className="model-status">
                {m.active ? (
                  <span className="badge tone-ok" data-testid="model-active">
                    {t('prefs.model.active')}
                  </span>
                ) : null}{' '}
                {m.available ? (
                  m.active ? null : (
                    <span className="muted small">{t('prefs.model.ready')}</span>
                  )
                ) : (
                  <span className="field-error small" data-testid="model-problem">
                    {m.problem ?? '—'}
                  </span>
                )}
              </div>
              <div className="row model-actions">
                {!m.active && m.available ? (
                  <button
                    type="button"
                    className="secondary"
                    data-testid="model-use"
                    disabled={pending !== undefined}
                    onClick={() => void use(m.name)}
                  >
                    {t('prefs.models.use')}
                  </button>
                ) : null}
                <button
                  type="button"
                  className="secondary"
                  data-testid="model-remove"
                  aria-label={`${t('prefs.models.remove')} ${m.name}`}
                  disabled={pending !== undefined || confirming === m.name}
                  onClick={() => setConfirming(m.name)}
                >
                  {t('prefs.models.remove')}
                </button>
              </div>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DownloadProgress() {
  const { t } = useTranslate();
  const download = useModelManager((s) => s.download);
  const cancel = useModelManager((s) => s.cancelDownload);
  if (!download) return null;
  if (download.state !== 'downloading') {
    if (download.state === 'failed') return null; // shown as the error
    return (
      <p className="muted small" role="status" data-testid="model-download-outcome">
        {download.state === 'done'
          ? t('prefs.models.downloaded', { name: download.name })
          : t('prefs.models.downloadCanceled', { name: download.name })}
      </p>
    );
  }
  const percent = download.percent;
  const amount = download.totalBytes
    ? `${formatBytes(download.receivedBytes)} / ${formatBytes(download.totalBytes)}`
    : formatBytes(download.receivedBytes);
  return (
    <div className="model-download" data-testid="model-download">
      <div className="row spread small">
        <span>{t('prefs.models.downloading', { name: download.name })}</span>
        <span data-testid="model-download-amount">
          {amount}
          {percent !== undefined ? ` · ${Math.floor(percent)} %` : ''}
        </span>
      </div>
      <div
        className="progress"
        role="progressbar"
        aria-label={t('prefs.models.downloading', { name: download.name })}
        aria-valuemin={0}
        aria-valuemax={100}
        {...(percent !== undefined ? { 'aria-valuenow': Math.floor(percent) } : {})}
      >
        <div
          className={percent === undefined ? 'progress-bar indeterminate' : 'progress-bar'}
          style={percent === undefined ? undefined : { width: `${percent}%` }}
        />
      </div>
      <button
        type="button"
        className="secondary"
        data-testid="model-download-cancel"
        onClick={() => void cancel()}
      >
        {t('prefs.models.cancelDownload')}
      </button>
    </div>
  );
}

function Catalogue() {
  const { t } = useTranslate();
  const items = useModelManager((s) => s.catalogue);
  const downloading = useModelManager((s) => s.download?.state === 'downloading');
  const startDownload = useModelManager((s) => s.startDownload);
  if (items.length === 0) return null;
  return (
    <div className="model-catalogue" data-testid="model-catalogue">
      <h3>{t('prefs.models.downloadTitle')}</h3>
      <ul>
        {items.map((item) => (
          <li
            key={item.name}
            className="row spread"
            data-testid="catalogue-row"
            data-model={item.name}
          >
            <span>
              <span className="model-name">{item.name}</span>{' '}
              <span className="muted small">
                {item.description} · {formatBytes(item.sizeBytes)}
              </span>
            </span>
            {item.installed ? (
              <span className="muted small">{t('prefs.models.installed')}</span>
            ) : (
              <button
                type="button"
                className="secondary"
                data-testid="model-download-start"
                disabled={downloading}
                aria-label={`${t('prefs.models.download')} ${item.name}`}
                onClick={() => void startDownload(item.name)}
              >
                {t('prefs.models.download')}
              </button>
            )}
          </li>
        ))}
      </ul>
      <DownloadProgress />
    </div>
  );
}

export function ModelsManager() {
  const { t } = useTranslate();
  const view = useAppStore((s) => s.models);
  const listError = useAppStore((s) => s.modelsError);
  const busy = useAppStore((s) => s.busy);
  const refreshModels = useAppStore((s) => s.refreshModels);
  const { error, daemonProblem, pending } = useModelManager();
  const { addFile, dismissError } = useModelManager.getState();
  useEffect(() => useModelManager.getState().init(), []);
  const models = view?.models ?? [];
  return (
    <div data-testid="models">
      {listError ? (
        <p className="field-error" data-testid="models-error">
          {t('prefs.modelsError', { message: listError })}
        </p>
      ) : null}
      {view?.problem ? (
        <p className="field-error" data-testid="models-problem">
          {t('prefs.modelsUnavailable', { problem: view.problem })}
        </p>
      ) : null}
      {error ? (
        <div className="field-error row spread" role="alert" data-testid="model-action-error">
          <span>{t('prefs.models.failed', { message: error })}</span>
          <button
            type="button"
            className="icon"
            aria-label={t('prefs.models.dismiss')}
            onClick={dismissError}
          >
            ✕
          </button>
        </div>
      ) : null}
      {daemonProblem ? (
        <p className="muted small" role="status" data-testid="model-daemon-problem">
          {daemonProblem}
        </p>
      ) : null}
      {view && models.length === 0 ? (
        <div data-testid="models-empty">
          <p className="empty">{t('prefs.modelsEmpty')}</p>
          <p className="muted small">{t('prefs.modelsHowTo')}</p>
        </div>
      ) : null}
      {models.length > 0 ? <InstalledModels models={models} /> : null}
      <Catalogue />
      <div className="row spread models-foot">
        <span className="muted small">
          {view?.dir ? t('prefs.modelsDir', { dir: view.dir }) : ''}
        </span>
        <div className="row">
          <button
            type="button"
            className="secondary"
            data-testid="model-add-file"
            disabled={pending !== undefined}
            onClick={() => void addFile()}
          >
            {t('prefs.models.addFile')}
          </button>
          <button
            type="button"
            className="secondary"
            data-testid="models-redetect"
            disabled={busy}
            onClick={() => void refreshModels()}
          >
            {t('action.redetect')}
          </button>
        </div>
      </div>
    </div>
  );
}
