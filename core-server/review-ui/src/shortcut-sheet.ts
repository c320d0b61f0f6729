// The `?` sheet: every binding of the active keymap grouped by task, plus the keymap choice
// (a setting kept in this browser).
import { h } from './dom-builder.js';
import { KEYMAPS, type KeymapId } from './keymap.js';

export function openShortcutSheet(current: KeymapId, onChoose: (id: KeymapId) => void): void {
  document.querySelector('dialog.shortcut-sheet')?.remove();
  const groups = new Map<string, HTMLElement>();
  for (const b of KEYMAPS[current].bindings) {
    let list = groups.get(b.group);
    if (!list) groups.set(b.group, (list = h('dl', {})));
    list.append(
      h(
        'dt',
        {},
        b.keys.map((k) => h('kbd', {}, k)),
      ),
      h('dd', {}, b.label),
    );
  }
  const select = h(
    'select',
    { 'aria-label': 'Keymap', id: 'keymap-choice' },
    (Object.keys(KEYMAPS) as KeymapId[]).map((id) =>
      h('option', { value: id, selected: id === current }, KEYMAPS[id].label),
    ),
  );
  const close = h('button', { class: 'primary', autofocus: true }, 'Close');
  const dialog = h(
    'dialog',
    { class: 'shortcut-sheet', 'aria-label': 'Keyboard shortcuts' },
    h('h2', {}, 'Keyboard shortcuts'),
    h('label', { class: 'keymap-setting' }, 'Keymap ', select),
    h(
      'div',
      { class: 'sheet-groups' },
      [...groups].map(([name, list]) => h('section', {}, h('h3', {}, name), list)),
    ),
    h(
      'p',
      { class: 'muted' },
      'While the player has focus, arrows and Space control the player. Shift+click or Shift+arrows select several assets; P / X then decide them all.',
    ),
    h('div', { class: 'dialog-actions' }, close),
  );
  select.addEventListener('change', () => {
    onChoose(select.value as KeymapId);
    dialog.close();
    openShortcutSheet(select.value as KeymapId, onChoose);
  });
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}
