import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './relay.js';

/**
 * The two command lines as installed users run them: built JavaScript under plain node (what
 * `npm run aviso`, `npm run relay` and scripts/install-path.sh start), not the TypeScript source.
 */
export const BUILT_AVISO = join(REPO_ROOT, 'packages', 'cli', 'dist', 'main.js');
export const BUILT_RELAY = join(REPO_ROOT, 'packages', 'server', 'dist', 'cli', 'main.js');
/** The preload that lists every module a process loaded (see the file). */
export const LIST_MODULES = join(REPO_ROOT, 'tests', 'support', 'list-modules.mjs');

/** Builds the command line if any source is newer than its last build (milliseconds when not). */
export function ensureBuilt(): void {
  execFileSync('bash', [join(REPO_ROOT, 'scripts', 'bootstrap.sh'), '--build'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

export interface BuiltRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every module file the process loaded, when asked for (`listModules`). */
  modules: string[];
}

/** Runs `node <script> …args` to the end; with `listModules`, also records what it loaded. */
export function runBuilt(script: string, args: readonly string[], options: { env?: Record<string, string>; listModules?: string } = {}): Promise<BuiltRun> {
  const list = options.listModules;
  if (list) rmSync(list, { force: true });
  const nodeArgs = list ? ['--import', LIST_MODULES, script, ...args] : [script, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, { cwd: REPO_ROOT, env: { ...process.env, ...options.env, ...(list ? { AVISO_LIST_MODULES: list } : {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      let modules: string[] = [];
      if (list) {
        try {
          modules = readFileSync(list, 'utf8').split('\n').filter(Boolean);
        } catch {
          modules = [];
        }
      }
      resolve({ code, stdout, stderr, modules });
    });
  });
}

/** What a fast start must not load: the SDK's native libraries, storage, schemas, the web server. */
export const HEAVY = [/@signalapp[+/]libsignal-client/, /better-sqlite3/, /drizzle-orm/, /[/+]zod[@/]/, /fastify/, /[/]client[/](src|dist)[/]/];

export function heavyIn(modules: readonly string[]): string[] {
  return modules.filter((m) => HEAVY.some((h) => h.test(m)));
}
