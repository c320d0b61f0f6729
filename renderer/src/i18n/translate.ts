// Picks the language (preference, else the browser's) and formats "{name}" placeholders.
import type { UiLanguage } from '../../../electron/src/shared/bridge-api.js';
import { type Language, type MessageKey, dictionaries } from './messages.js';

export function resolveLanguage(pref: UiLanguage | undefined, navigatorLanguage: string): Language {
  if (pref === 'en' || pref === 'fr') return pref;
  return navigatorLanguage.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(lang: Language): Translate {
  const dict = dictionaries[lang];
  return (key, vars) =>
    dict[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
      vars && name in vars ? String(vars[name]) : whole,
    );
}
