// The review keymaps, as data: the key handler, the shortcut sheet and the settings all read
// them, so the sheet cannot drift from what the keys do. "Pro" (default) follows Lightroom /
// Photo Mechanic for decisions (P pick = keep, X reject, U unflag) and editors for playback
// (J/K/L shuttle, ,/. frame step); "Classic" is the page's original K/R, J/L mapping.
export type Action =
  | 'keep'
  | 'reject'
  | 'clear'
  | 'previous'
  | 'next'
  | 'play'
  | 'shuttle_back'
  | 'shuttle_pause'
  | 'shuttle_forward'
  | 'frame_back'
  | 'frame_forward'
  | 'rate_0'
  | 'rate_1'
  | 'rate_2'
  | 'rate_3'
  | 'rate_4'
  | 'rate_5'
  | 'label_red'
  | 'label_yellow'
  | 'label_green'
  | 'label_blue'
  | 'label_purple'
  | 'grid'
  | 'loupe'
  | 'compare'
  | 'retry'
  | 'profile_music'
  | 'profile_voice'
  | 'apply'
  | 'search'
  | 'help';

export type KeymapId = 'pro' | 'classic';

export interface Binding {
  keys: string[];
  action: Action;
  label: string;
  group: 'Decide' | 'Move' | 'Play' | 'Rate' | 'View' | 'Other';
}

const COMMON: Binding[] = [
  { keys: ['Space'], action: 'play', label: 'Play / pause', group: 'Play' },
  { keys: [','], action: 'frame_back', label: 'Previous frame', group: 'Play' },
  { keys: ['.'], action: 'frame_forward', label: 'Next frame', group: 'Play' },
  { keys: ['0'], action: 'rate_0', label: 'Clear stars', group: 'Rate' },
  { keys: ['1'], action: 'rate_1', label: '1 star', group: 'Rate' },
  { keys: ['2'], action: 'rate_2', label: '2 stars', group: 'Rate' },
  { keys: ['3'], action: 'rate_3', label: '3 stars', group: 'Rate' },
  { keys: ['4'], action: 'rate_4', label: '4 stars', group: 'Rate' },
  { keys: ['5'], action: 'rate_5', label: '5 stars', group: 'Rate' },
  { keys: ['6'], action: 'label_red', label: 'Red label', group: 'Rate' },
  { keys: ['7'], action: 'label_yellow', label: 'Yellow label', group: 'Rate' },
  { keys: ['8'], action: 'label_green', label: 'Green label', group: 'Rate' },
  { keys: ['9'], action: 'label_blue', label: 'Blue label', group: 'Rate' },
  { keys: ['g'], action: 'grid', label: 'List / grid', group: 'View' },
  { keys: ['z'], action: 'loupe', label: '100 % loupe', group: 'View' },
  { keys: ['c'], action: 'compare', label: 'Compare with next', group: 'View' },
  { keys: ['m'], action: 'profile_music', label: 'Audio profile: music', group: 'Decide' },
  { keys: ['v'], action: 'profile_voice', label: 'Audio profile: voice', group: 'Decide' },
  { keys: ['a'], action: 'apply', label: 'Apply decisions…', group: 'Other' },
  { keys: ['/'], action: 'search', label: 'Search', group: 'Other' },
  { keys: ['?'], action: 'help', label: 'Shortcut sheet', group: 'Other' },
];

export const KEYMAPS: Record<KeymapId, { label: string; bindings: Binding[] }> = {
  pro: {
    label: 'Pro (P / X, J K L)',
    bindings: [
      { keys: ['p'], action: 'keep', label: 'Keep (pick)', group: 'Decide' },
      { keys: ['x'], action: 'reject', label: 'Reject', group: 'Decide' },
      { keys: ['u'], action: 'clear', label: 'Clear decision', group: 'Decide' },
      { keys: ['r'], action: 'retry', label: 'Retry a failed asset', group: 'Decide' },
      { keys: ['←', '↑'], action: 'previous', label: 'Previous asset', group: 'Move' },
      { keys: ['→', '↓'], action: 'next', label: 'Next asset', group: 'Move' },
      {
        keys: ['j'],
        action: 'shuttle_back',
        label: 'Shuttle back (again = faster)',
        group: 'Play',
      },
      { keys: ['k'], action: 'shuttle_pause', label: 'Pause', group: 'Play' },
      {
        keys: ['l'],
        action: 'shuttle_forward',
        label: 'Shuttle forward (again = faster)',
        group: 'Play',
      },
      ...COMMON,
    ],
  },
  classic: {
    label: 'Classic (K / R, J L)',
    bindings: [
      { keys: ['k'], action: 'keep', label: 'Keep', group: 'Decide' },
      { keys: ['r'], action: 'reject', label: 'Reject', group: 'Decide' },
      { keys: ['u'], action: 'clear', label: 'Clear decision', group: 'Decide' },
      { keys: ['j', '←', '↑'], action: 'previous', label: 'Previous asset', group: 'Move' },
      { keys: ['l', '→', '↓'], action: 'next', label: 'Next asset', group: 'Move' },
      ...COMMON,
    ],
  },
};

const KEY_NAME: Record<string, string> = {
  ArrowLeft: '←',
  ArrowRight: '→',
  ArrowUp: '↑',
  ArrowDown: '↓',
  ' ': 'Space',
};

const STORAGE_KEY = 'retaia.review.keymap';

export function savedKeymap(): KeymapId {
  return localStorage.getItem(STORAGE_KEY) === 'classic' ? 'classic' : 'pro';
}

export function saveKeymap(id: KeymapId): void {
  localStorage.setItem(STORAGE_KEY, id);
}

/** Keys the focused player keeps for itself (native seeking / volume / activation). */
const PLAYER_OWNS = new Set(['←', '→', '↑', '↓', 'Space']);

/**
 * The action of a keydown, or undefined when typing in a field, with Ctrl/Cmd/Alt, or in an
 * open dialog. While the video/audio element has focus, arrows and Space stay the player's.
 */
export function actionFor(ev: KeyboardEvent, keymap: KeymapId): Action | undefined {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return undefined;
  const target = ev.target instanceof Element ? ev.target : null;
  if (target?.closest('input, textarea, select, [contenteditable], dialog[open]')) return undefined;
  const key = KEY_NAME[ev.key] ?? (ev.key.length === 1 ? ev.key.toLowerCase() : ev.key);
  if (target?.closest('video, audio') && PLAYER_OWNS.has(key)) return undefined;
  return KEYMAPS[keymap].bindings.find((b) => b.keys.includes(key))?.action;
}
