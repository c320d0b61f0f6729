// Purge confirmation: shows exactly what the server will delete (POST …/purge/preview) and asks
// the user to type the asset name, because a purge cannot be undone.
import { h } from './dom-builder.js';
import type { PurgePreview } from './review-types.js';

function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export function openPurgeDialog(name: string, preview: PurgePreview): Promise<boolean> {
  const input = h('input', {
    type: 'text',
    'aria-label': 'Type the asset name to confirm',
    autocomplete: 'off',
  });
  const confirm = h('button', { class: 'danger', disabled: true }, 'Purge forever');
  const cancel = h('button', { class: 'ghost' }, 'Cancel');
  const dialog = h(
    'dialog',
    { class: 'modal purge-dialog' },
    h('h2', {}, `Purge “${name}”?`),
    preview.purgeable
      ? h(
          'p',
          {},
          `This permanently deletes ${preview.files.filter((f) => f.exists).length} files (${formatBytes(preview.total_bytes)}). It cannot be undone.`,
        )
      : h('p', { class: 'error-text' }, preview.reason ?? 'This asset cannot be purged.'),
    h(
      'ul',
      { class: 'file-list' },
      preview.files.map((f) =>
        h(
          'li',
          {},
          h('code', {}, f.relative_path),
          h(
            'span',
            { class: 'muted' },
            ` ${f.role} · ${formatBytes(f.size_bytes)}${f.exists ? '' : ' · already gone'}`,
          ),
        ),
      ),
    ),
    preview.purgeable
      ? h('label', { class: 'confirm-label' }, 'Type the name to confirm', input)
      : h('span', {}),
    h('div', { class: 'dialog-actions' }, cancel, confirm),
  );
  document.body.append(dialog);
  dialog.showModal();
  input.addEventListener('input', () => {
    confirm.disabled = !preview.purgeable || input.value.trim() !== name;
  });
  return new Promise<boolean>((resolve) => {
    const done = (v: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(v);
    };
    cancel.addEventListener('click', () => done(false));
    dialog.addEventListener('cancel', () => resolve(false));
    confirm.addEventListener('click', () => done(true));
  });
}
