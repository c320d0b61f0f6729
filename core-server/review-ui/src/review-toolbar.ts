// The top of the review screen: search, media and sort filters, the apply button with its
// count, the pending-writes indicator, view/theme/help/sign-out buttons, the state tabs with
// their counts, and the bar that appears when several assets are selected.
import { h } from './dom-builder.js';
import type { Decision } from './detail-view.js';
import type { SortKey, Tab } from './review-tabs.js';

export interface ToolbarHandlers {
  onQuery(q: Partial<{ q: string; media_type: string; sort: SortKey }>): void;
  onApply(): void;
  onGrid(): void;
  onHelp(): void;
  onTheme(): void;
  onSignOut(): void;
  onBulk(target: Decision): void;
  onClearSelection(): void;
}

export interface Toolbar {
  header: HTMLElement;
  tabs: HTMLElement;
  bulkBar: HTMLElement;
  renderTabs(tabs: Tab[], active: Tab, count: (t: Tab) => number, select: (t: Tab) => void): void;
  setDecided(n: number): void;
  setPending(n: number): void;
  setSelection(n: number): void;
  focusSearch(): void;
}

export function buildToolbar(hd: ToolbarHandlers): Toolbar {
  const search = h('input', {
    type: 'search',
    placeholder: 'Search name or notes ( / )',
    'aria-label': 'Search',
    class: 'search',
  });
  const mediaType = h(
    'select',
    { 'aria-label': 'Media type' },
    h('option', { value: '' }, 'All media'),
    h('option', { value: 'VIDEO' }, 'Video'),
    h('option', { value: 'AUDIO' }, 'Audio'),
    h('option', { value: 'PHOTO' }, 'Photo'),
  );
  const sort = h(
    'select',
    { 'aria-label': 'Sort' },
    h('option', { value: '-created_at' }, 'Newest first'),
    h('option', { value: 'created_at' }, 'Oldest first'),
    h('option', { value: '-captured_at' }, 'Captured (newest)'),
    h('option', { value: 'name' }, 'Name A→Z'),
    h('option', { value: '-duration' }, 'Longest first'),
  );
  let debounce: number | undefined;
  search.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = window.setTimeout(() => hd.onQuery({ q: search.value.trim() }), 250);
  });
  search.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') search.blur();
  });
  mediaType.addEventListener('change', () => hd.onQuery({ media_type: mediaType.value }));
  sort.addEventListener('change', () => hd.onQuery({ sort: sort.value as SortKey }));

  const applyCount = h('span', { class: 'count' }, '0');
  const applyBtn = h(
    'button',
    { class: 'primary', id: 'apply-decisions', title: 'Apply decisions (a)' },
    'Apply decisions',
    applyCount,
  );
  applyBtn.addEventListener('click', hd.onApply);
  const pending = h('span', { class: 'pending', role: 'status', 'aria-live': 'polite' });
  const btn = (label: string, title: string, fn: () => void, text = label) => {
    const b = h('button', { class: 'ghost', title, 'aria-label': label }, text);
    b.addEventListener('click', fn);
    return b;
  };
  const theme = btn(
    'Toggle theme',
    'Toggle light/dark',
    () => {
      const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
      document.documentElement.dataset.theme = next;
      localStorage.setItem('retaia.review.theme', next);
      hd.onTheme();
    },
    '◐',
  );
  const header = h(
    'header',
    { class: 'topbar' },
    h(
      'div',
      { class: 'brand' },
      h('span', { class: 'logo' }, '◆'),
      'Retaia ',
      h('b', {}, 'Review'),
    ),
    search,
    mediaType,
    sort,
    h('div', { class: 'spacer' }),
    pending,
    applyBtn,
    btn('List or grid', 'List / grid (g)', hd.onGrid, '▦'),
    theme,
    btn('Shortcuts', 'Shortcuts and keymap (?)', hd.onHelp, '?'),
    btn('Sign out', 'Sign out', hd.onSignOut, 'Sign out'),
  );
  const tabs = h('nav', { class: 'tabs', role: 'tablist', 'aria-label': 'Asset states' });
  const selCount = h('span', {});
  const bulk = (label: string, cls: string, t: Decision) => {
    const b = h('button', { class: cls }, label);
    b.addEventListener('click', () => hd.onBulk(t));
    return b;
  };
  const clearSel = h('button', { class: 'ghost' }, 'Clear selection (Esc)');
  clearSel.addEventListener('click', hd.onClearSelection);
  const bulkBar = h(
    'div',
    { class: 'bulk-bar', role: 'toolbar', 'aria-label': 'Selected assets', hidden: true },
    selCount,
    bulk('Keep all', 'keep', 'DECIDED_KEEP'),
    bulk('Reject all', 'reject', 'DECIDED_REJECT'),
    bulk('Clear decisions', 'ghost', 'DECISION_PENDING'),
    clearSel,
  );

  return {
    header,
    tabs,
    bulkBar,
    renderTabs(all, active, count, select) {
      const focused = (document.activeElement as HTMLElement | null)?.dataset?.tab;
      tabs.replaceChildren(
        ...all.map((tab) => {
          const b = h(
            'button',
            {
              role: 'tab',
              class: `tab${tab.id === 'failed' ? ' tab-failed' : ''}`,
              'aria-selected': String(tab === active),
              dataset: { tab: tab.id },
            },
            tab.label,
            h('span', { class: 'count' }, count(tab)),
          );
          b.addEventListener('click', () => select(tab));
          return b;
        }),
      );
      if (focused) tabs.querySelector<HTMLElement>(`[data-tab="${focused}"]`)?.focus();
    },
    setDecided(n) {
      applyCount.textContent = String(n);
      applyBtn.toggleAttribute('disabled', n === 0);
    },
    setPending(n) {
      pending.textContent = n ? `Saving ${n}…` : '';
    },
    setSelection(n) {
      bulkBar.hidden = n < 2;
      selCount.textContent = `${n} selected`;
    },
    focusSearch() {
      search.focus();
    },
  };
}
