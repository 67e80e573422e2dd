import { langFromEnv, loadIcu, t, type Lang, type MessageKey, type Params } from '@aviso/i18n/lite';

// The operator CLI's words: the shared catalog (packages/i18n/src/{en,es}/relay-cli.ts) through its
// light entry, so `--help` and usage errors load no ICU formatter (see @aviso/i18n/lite).

export { loadIcu, type Lang, type MessageKey, type Params };

/** The language of one invocation, from its environment (AVISO_LANG, LC_ALL, LC_MESSAGES, LANG). */
export const relayLang = (env: Readonly<Record<string, string | undefined>>): Lang => langFromEnv(env);

/**
 * A catalog message and its parameters, said later in the operator's language. A parameter may be
 * words itself (a clause such as "upgrade Aviso to use it"), said in the same language.
 */
export interface Words {
  key: MessageKey;
  params?: Record<string, string | number | Words>;
}

export function say(lang: Lang, words: Words): string {
  if (words.params === undefined) return t(lang, words.key);
  const params: Params = {};
  for (const [name, value] of Object.entries(words.params)) params[name] = typeof value === 'object' ? say(lang, value) : value;
  return t(lang, words.key, params);
}

/** `say` for a key and its parameters. */
export function words(key: MessageKey, params?: Words['params']): Words {
  return params === undefined ? { key } : { key, params };
}
