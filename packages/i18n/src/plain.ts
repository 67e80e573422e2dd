import type { Params } from './catalog.js';

/**
 * A message with no ICU syntax beyond `{name}` placeholders: no plural or select, no apostrophe
 * that quotes (`'{`, `''`, `'#`). Those are filled here by hand, exactly as intl-messageformat
 * would fill them (a simple argument is `String(value)`), so most messages never need the
 * formatter compiled, or even loaded: what keeps `aviso --help` near a bare start of node.
 */
const SIMPLE = /^(?:[^{}']|'(?![{}'#|])|\{\s*[A-Za-z_]\w*\s*\})*$/;
const PLACEHOLDER = /\{\s*([A-Za-z_]\w*)\s*\}/g;

/** The filled message, or undefined when it needs the ICU formatter. Throws on a missing parameter, as ICU does. */
export function plainFill(message: string, params: Params | undefined): string | undefined {
  if (!SIMPLE.test(message)) return undefined;
  if (!message.includes('{')) return message;
  return message.replace(PLACEHOLDER, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined) throw new Error(`The intl string context variable "${name}" was not provided to the string "${message}"`);
    return String(value);
  });
}
