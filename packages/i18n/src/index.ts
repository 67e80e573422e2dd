import { IntlMessageFormat } from 'intl-messageformat';
import { en } from './en.js';
import { es } from './es.js';

// Aviso's one catalog: pure (no I/O), shared by the app and, later, the CLI.
export const LANGS = ['es', 'en'] as const;
export type Lang = (typeof LANGS)[number];
export type MessageKey = keyof typeof en;
export type Params = Record<string, string | number>;

export const CATALOG: Readonly<Record<Lang, Readonly<Record<MessageKey, string>>>> = { en, es };

const compiled = new Map<string, IntlMessageFormat>();

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
 * The message `key` in `lang`, with ICU placeholders and plurals filled from `params`.
 * @example t('es', 'board.count', { count: 2 }) // "2 alertas"
 */
export function t(lang: Lang, key: MessageKey, params?: Params): string {
  const id = `${lang}\u0000${key}`;
  let fmt = compiled.get(id);
  if (!fmt) {
    fmt = new IntlMessageFormat(CATALOG[lang][key], lang);
    compiled.set(id, fmt);
  }
  return String(fmt.format(params));
}

/** "3 min ago" / "hace 3 min" in the viewer's language (Intl), for an age in milliseconds. */
export function age(lang: Lang, ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 45) return t(lang, 'age.now');
  const rtf = new Intl.RelativeTimeFormat(lang, { numeric: 'auto', style: 'short' });
  const m = Math.round(s / 60);
  if (m < 60) return rtf.format(-m, 'minute');
  const h = Math.round(m / 60);
  if (h < 24) return rtf.format(-h, 'hour');
  return rtf.format(-Math.round(h / 24), 'day');
}

/** A time of day and date in the viewer's language and time zone. */
export function dateTime(lang: Lang, at: number): string {
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(at);
}

/** "in 3 hours" / "dentro de 3 horas" in the viewer's language (Intl), for a time still ahead, in ms. */
export function until(lang: Lang, ms: number): string {
  const rtf = new Intl.RelativeTimeFormat(lang, { numeric: 'auto', style: 'short' });
  const m = Math.max(1, Math.round(ms / 60_000));
  if (m < 60) return rtf.format(m, 'minute');
  const h = Math.round(m / 60);
  if (h < 24) return rtf.format(h, 'hour');
  return rtf.format(Math.round(h / 24), 'day');
}
