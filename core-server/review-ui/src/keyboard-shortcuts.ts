// One table for the review shortcuts: the key handler and the on-screen legend both read it, so
// the legend cannot drift from what the keys do.
export type ShortcutAction =
  | 'keep'
  | 'reject'
  | 'clear'
  | 'previous'
  | 'next'
  | 'play'
  | 'profile_music'
  | 'profile_voice'
  | 'apply'
  | 'help';

export const SHORTCUTS: { keys: string[]; label: string; action: ShortcutAction }[] = [
  { keys: ['k'], label: 'Keep', action: 'keep' },
  { keys: ['r'], label: 'Reject', action: 'reject' },
  { keys: ['u'], label: 'Clear decision', action: 'clear' },
  { keys: ['j', '←'], label: 'Previous asset', action: 'previous' },
  { keys: ['l', '→'], label: 'Next asset', action: 'next' },
  { keys: ['Space'], label: 'Play / pause', action: 'play' },
  { keys: ['m'], label: 'Profile: music', action: 'profile_music' },
  { keys: ['v'], label: 'Profile: voice', action: 'profile_voice' },
  { keys: ['a'], label: 'Apply decisions…', action: 'apply' },
  { keys: ['?'], label: 'Show / hide shortcuts', action: 'help' },
];

const BY_KEY: Record<string, ShortcutAction> = {
  k: 'keep',
  r: 'reject',
  u: 'clear',
  j: 'previous',
  ArrowLeft: 'previous',
  l: 'next',
  ArrowRight: 'next',
  ' ': 'play',
  m: 'profile_music',
  v: 'profile_voice',
  a: 'apply',
  '?': 'help',
};

/** The action for a keydown, or undefined when typing in a field, with modifiers, or in a dialog. */
export function shortcutFor(ev: KeyboardEvent): ShortcutAction | undefined {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return undefined;
  const target = ev.target as HTMLElement | null;
  if (target?.closest('input, textarea, select, [contenteditable], dialog[open]')) return undefined;
  return BY_KEY[ev.key.length === 1 ? ev.key.toLowerCase() : ev.key] ?? BY_KEY[ev.key];
}
