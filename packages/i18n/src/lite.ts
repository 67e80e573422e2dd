import type { IntlMessageFormat } from 'intl-messageformat';
import { CATALOG, type Lang, type MessageKey, type Params } from './catalog.js';
import { plainFill } from './plain.js';

/**
 * The catalog for a process that must start fast (the `aviso` command): `t` fills plain messages
 * by hand and needs the ICU formatter (intl-messageformat, the bulk of this package's load time)
 * only for plurals and selects. `loadIcu()` loads it; a front end awaits it before running anything
 * that may say a plural. Saying one before is a bug, and `t` says so instead of guessing.
 */
export { CATALOG, LANGS, isLang, langFromEnv, pickLang, type Lang, type MessageKey, type Params } from './catalog.js';
export { age, dateTime, until } from './time.js';

let Formatter: typeof IntlMessageFormat | undefined;
const compiled = new Map<string, IntlMessageFormat>();

/** Loads the ICU formatter once; later calls resolve at once. */
export async function loadIcu(): Promise<void> {
  Formatter ??= (await import('intl-messageformat')).IntlMessageFormat;
}

/** As `t` from the package's main entry; a plural or select needs `loadIcu()` first. */
export function t(lang: Lang, key: MessageKey, params?: Params): string {
  const message = CATALOG[lang][key];
  const plain = plainFill(message, params);
  if (plain !== undefined) return plain;
  if (!Formatter) throw new Error(`message ${key} needs the ICU formatter: await loadIcu() first`);
  const id = `${lang}\u0000${key}`;
  let fmt = compiled.get(id);
  if (!fmt) {
    fmt = new Formatter(message, lang, undefined, { ignoreTag: true });
    compiled.set(id, fmt);
  }
  return String(fmt.format(params));
}
