import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { isLang, pickLang, t, type Lang, type MessageKey, type Params } from '@aviso/i18n';
import { launchLang } from './api.js';

const KEY = 'aviso.lang';

/** A choice made in the app wins, then `aviso app --lang`, then the browser's languages. */
export function initialLang(): Lang | undefined {
  const saved = localStorage.getItem(KEY);
  if (isLang(saved)) return saved;
  if (isLang(launchLang)) return launchLang;
  return undefined;
}

export function browserLang(): Lang {
  return pickLang(navigator.languages);
}

export function saveLang(lang: Lang): void {
  localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang;
}

export const LangContext = createContext<Lang>('es');

/** Every visible string goes through here (the catalog), never a literal in a component. */
export function useT(): { lang: Lang; tr: (key: MessageKey, params?: Params) => string } {
  const lang = useContext(LangContext);
  return { lang, tr: (key, params) => t(lang, key, params) };
}
