import { langFromEnv, loadIcu, t, type Lang, type MessageKey, type Params } from '@aviso/i18n/lite';

/** The CLI's language from its environment (AVISO_LANG, LC_ALL, LC_MESSAGES, LANG): see langFromEnv. */
export function cliLang(env: NodeJS.ProcessEnv = process.env): Lang {
  return langFromEnv(env);
}

let current: Lang | undefined;

/**
 * The language of this process, read once from its environment. A command handed to a running
 * `aviso listen` runs in that process and so answers in the listen's language.
 */
export function lang(): Lang {
  current ??= cliLang();
  return current;
}

/**
 * The message `key` in the CLI's language (ICU placeholders and plurals from `params`). Plain
 * messages need nothing loaded; a plural needs `prepareMessages()` first, which runCli awaits
 * before any command runs (help and usage errors say no plurals, so they never wait for it).
 */
export function say(key: MessageKey, params?: Params): string {
  return t(lang(), key, params);
}

/** The same message in English: what `--json` and logs carry, whatever the terminal's language. */
export function sayEnglish(key: MessageKey, params?: Params): string {
  return t('en', key, params);
}

/** Loads the ICU formatter for plural messages (once; see `say`). */
export const prepareMessages = loadIcu;

export type { Lang, MessageKey, Params } from '@aviso/i18n/lite';
