import { langFromEnv, loadIcu, t, type Lang, type MessageKey, type Params } from '@aviso/i18n/lite';

// The operator CLI's words: the shared catalog (packages/i18n/src/{en,es}/relay-cli.ts) through its
// light entry, so `--help` and usage errors load no ICU formatter (see @aviso/i18n/lite).

export { loadIcu, type Lang, type MessageKey, type Params };

/** The language of one invocation, from its environment (AVISO_LANG, LC_ALL, LC_MESSAGES, LANG). */
export const relayLang = (env: Readonly<Record<string, string | undefined>>): Lang => langFromEnv(env);

/** A catalog message and its parameters, said later in the operator's language. */
export interface Words {
  key: MessageKey;
  params?: Params;
}

export function say(lang: Lang, words: Words): string {
  return t(lang, words.key, words.params);
}
