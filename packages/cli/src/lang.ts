import { isLang, t, type Lang, type MessageKey, type Params } from '@aviso/i18n';

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

/** The message `key` in the CLI's language (ICU placeholders and plurals from `params`). */
export function say(key: MessageKey, params?: Params): string {
  current ??= cliLang();
  return t(current, key, params);
}
