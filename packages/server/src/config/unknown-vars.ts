import { closestMatch } from 'leven';
import { SETTING_NAMES } from '../config.js';

/**
 * `AVISO_*` variables that are not the relay's but may be set in the same shell: the member command
 * line's and the app's (docs/cli.md, docs/app.md) and the test suites'. They are left alone; any
 * other unknown `AVISO_*` name is most likely a mistyped relay setting.
 */
export const OTHER_AVISO_VARIABLES: readonly string[] = [
  'AVISO_HOME',
  'AVISO_PROFILE',
  'AVISO_LANG', // the language of aviso and aviso-relay (docs/cli.md)
  'AVISO_RELAY_URL',
  'AVISO_TOKEN',
  'AVISO_DEBUG',
  'AVISO_CONNECT_TIMEOUT',
  'AVISO_APP_DIR',
  'AVISO_CHROMIUM',
  'AVISO_SLOW',
  'AVISO_TEST_CRASH_AT',
];

/** Past this many edits a suggestion is more likely wrong than helpful. */
const MAX_SUGGESTION_DISTANCE = 4;

export interface UnknownSetting {
  name: string;
  /** The relay setting it was probably meant to be, if one is close. */
  suggestion?: string;
}

/**
 * The `AVISO_*` variables in `env` that no part of Aviso reads, each with the closest relay setting
 * name. Set but ignored, a typo silently leaves the default in force (a queue TTL, a data folder),
 * so the relay says so when it starts.
 */
export function unknownSettings(env: Record<string, string | undefined>): UnknownSetting[] {
  const known = new Set([...SETTING_NAMES, ...OTHER_AVISO_VARIABLES]);
  return Object.keys(env)
    .filter((name) => name.startsWith('AVISO_') && !known.has(name))
    .sort()
    .map((name) => {
      const suggestion = closestMatch(name, SETTING_NAMES, { maxDistance: MAX_SUGGESTION_DISTANCE });
      return suggestion === undefined ? { name } : { name, suggestion };
    });
}

/** The operator's line for one unknown variable (the CLI adds its `aviso-relay: ` prefix). */
export function describeUnknownSetting(unknown: UnknownSetting): string {
  // The name is the operator's own, but still only printed when it is a plain identifier: an
  // environment can carry anything, terminal escapes included.
  const shown = /^[A-Za-z0-9_]{1,100}$/.test(unknown.name) ? unknown.name : JSON.stringify(unknown.name.slice(0, 100));
  const hint = unknown.suggestion === undefined ? 'see "aviso-relay --help" for the settings' : `did you mean ${unknown.suggestion}?`;
  return `warning: ${shown} is not a relay setting and is ignored — ${hint}`;
}
