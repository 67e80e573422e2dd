import { isLang, loadIcu, t, type Lang, type MessageKey, type Params } from '@aviso/i18n/lite';

/**
 * The CLI's language. `AVISO_LANG` first (es or en), then the POSIX locale variables in their own
 * order of precedence (LC_ALL, LC_MESSAGES, LANG): `es_MX.UTF-8` gives Spanish. English otherwise,
 * including `C` and `POSIX`, which is what a bare terminal, a container or a cron job has.
 */
export function cliLang(env: NodeJS.ProcessEnv = process.env): Lang {
  const chosen = env.AVISO_LANG?.trim().toLowerCase();
  if (isLang(chosen)) return chosen;
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG'] as const) {
    const value = env[name];
    if (!value) continue;
    // The first variable that is set decides, as in POSIX: LC_ALL=C wins over LANG=es_MX.
    const base = value.toLowerCase().split(/[-_.@]/)[0];
    return isLang(base) ? base : 'en';
  }
  return 'en';
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
