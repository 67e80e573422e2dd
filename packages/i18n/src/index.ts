import { IntlMessageFormat } from 'intl-messageformat';
import { CATALOG, type Lang, type MessageKey, type Params } from './catalog.js';
import { plainFill } from './plain.js';

// The catalog with its ICU formatter loaded up front (the app). The CLI uses ./lite.ts, which
// loads the formatter only when a command needs a plural.
export { CATALOG, LANGS, isLang, langFromEnv, pickLang, type Lang, type MessageKey, type Params } from './catalog.js';
export { age, dateTime, until } from './time.js';

/** `<group>` in a message is text, never a rich-text tag: no message of ours carries markup. */
export const ICU_OPTIONS = { ignoreTag: true } as const;

const compiled = new Map<string, IntlMessageFormat>();

/**
 * The message `key` in `lang`, with ICU placeholders and plurals filled from `params`.
 * @example t('es', 'board.count', { count: 2 }) // "2 alertas"
 */
export function t(lang: Lang, key: MessageKey, params?: Params): string {
  const message = CATALOG[lang][key];
  const plain = plainFill(message, params);
  if (plain !== undefined) return plain;
  const id = `${lang}\u0000${key}`;
  let fmt = compiled.get(id);
  if (!fmt) {
    fmt = new IntlMessageFormat(message, lang, undefined, ICU_OPTIONS);
    compiled.set(id, fmt);
  }
  return String(fmt.format(params));
}
