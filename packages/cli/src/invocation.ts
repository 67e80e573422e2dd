import { basename, relative } from 'node:path';
import { DEFAULT_PROFILE } from './profile.js';

/**
 * How the person ran `aviso`, so the commands we suggest (`next: …`) can be pasted back as they are:
 * - through the npm script: `npm run aviso -- …` (`npm run -s aviso -- …` when npm was silenced, as
 *   the README does), or `pnpm aviso …`;
 * - through a command called `aviso` (scripts/install-path.sh, a global install, `pnpm link`): `aviso …`;
 * - as the built file itself: `node packages/cli/dist/main.js …`, relative to the current folder.
 * Anything else (the TypeScript source under tsx, a test calling runCli) gets `aviso …`.
 */
export function invokedAs(env: Record<string, string | undefined>, script: string | undefined, cwd: string): string {
  if (env['npm_lifecycle_event'] === 'aviso') {
    if (env['npm_config_user_agent']?.startsWith('pnpm/')) return 'pnpm aviso';
    return env['npm_config_loglevel'] === 'silent' ? 'npm run -s aviso --' : 'npm run aviso --';
  }
  if (script === undefined) return 'aviso';
  const name = basename(script);
  if (name === 'aviso' || name === 'aviso.cmd' || name === 'aviso.js') return 'aviso';
  if (name.endsWith('.js')) {
    const path = relative(cwd, script) || script;
    return `node ${/^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`}`;
  }
  return 'aviso';
}

/**
 * A command line to suggest: the invocation prefix, `--profile NAME` when it is not the default
 * profile (a hint that drops it would act on another identity), then `words`.
 */
export function suggestion(prefix: string | undefined, profile: string, words: string): string {
  return `${prefix ?? 'aviso'}${profile === DEFAULT_PROFILE ? '' : ` --profile ${profile}`} ${words}`;
}
