import { CATALOG, type Lang } from './catalog.js';

// Times in the viewer's language and time zone, through Intl alone (no ICU messages: the CLI
// uses these on every board redraw without loading the formatter).

/** "3 min ago" / "hace 3 min" in the viewer's language (Intl), for an age in milliseconds. */
export function age(lang: Lang, ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 45) return CATALOG[lang]['age.now'];
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
