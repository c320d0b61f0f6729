import { useMemo } from 'react';
import { useAppStore } from '../state/app-store.js';
import { type Translate, resolveLanguage, translator } from './translate.js';

export function useTranslate(): { t: Translate; lang: 'en' | 'fr' } {
  const pref = useAppStore((s) => s.prefs?.language);
  return useMemo(() => {
    const lang = resolveLanguage(pref, navigator.language);
    document.documentElement.lang = lang;
    return { t: translator(lang), lang };
  }, [pref]);
}
