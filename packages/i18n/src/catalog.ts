import { en } from './en.js';
import { es } from './es.js';

// Aviso's one catalog: pure data (no I/O, no formatter), shared by the app and the CLI. Loading it
// costs little; the ICU formatter is what costs, so it lives apart (index.ts, lite.ts).
export const LANGS = ['es', 'en'] as const;
export type Lang = (typeof LANGS)[number];
export type MessageKey = keyof typeof en;
export type Params = Record<string, string | number>;

export const CATALOG: Readonly<Record<Lang, Readonly<Record<MessageKey, string>>>> = { en, es };

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGS as readonly string[]).includes(v);
}

/** The best of our languages for a list of preferences (navigator.languages, LANG): Spanish first on a tie. */
export function pickLang(preferences: readonly string[], fallback: Lang = 'es'): Lang {
  for (const p of preferences) {
    const base = p.toLowerCase().split(/[-_]/)[0];
    if (isLang(base)) return base;
  }
  return fallback;
}

/**
 * A command line's language from its environment: `AVISO_LANG` first (es or en), then the POSIX
 * locale variables in their own order of precedence (LC_ALL, LC_MESSAGES, LANG): `es_MX.UTF-8`
 * gives Spanish. English otherwise, including `C` and `POSIX`, which is what a bare terminal, a
 * container or a cron job has. Shared by `aviso` and `aviso-relay`.
 */
export function langFromEnv(env: Readonly<Record<string, string | undefined>>): Lang {
  const chosen = env['AVISO_LANG']?.trim().toLowerCase();
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
