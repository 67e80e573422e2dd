import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/**
 * How the tests start `aviso` and `aviso-relay`: the built JavaScript that `npm run aviso` and
 * `npm run relay` run, when `tsc -b` has built it from the sources as they are now (`npm test` builds
 * first); otherwise the TypeScript sources through tsx, so a test run right after an edit, with no
 * build, still tests the edit. Built, a command starts in about a third of the time (tsx compiles
 * every module it loads on each start), and the suite starts a few hundred of them.
 * AVISO_TEST_FROM_SOURCE=1 always runs the sources.
 */
export function entry(command: 'aviso' | 'aviso-relay'): string[] {
  const [pkg, main, deps] = command === 'aviso' ? (['cli', 'main', ['protocol', 'i18n', 'client', 'agent', 'cli']] as const) : (['server', 'cli/main', ['protocol', 'i18n', 'server']] as const);
  const fresh = process.env['AVISO_TEST_FROM_SOURCE'] !== '1' && deps.every(built);
  return fresh ? [`packages/${pkg}/dist/${main}.js`] : ['--conditions=@aviso/source', '--import', 'tsx', `packages/${pkg}/src/${main}.ts`];
}

const checked = new Map<string, boolean>();

/** Every source file of the package has its compiled file, written after the source last changed. */
function built(pkg: string): boolean {
  let ok = checked.get(pkg);
  if (ok === undefined) {
    const src = join(REPO_ROOT, 'packages', pkg, 'src');
    const dist = join(REPO_ROOT, 'packages', pkg, 'dist');
    ok = sources(src).every((file) => {
      const out = join(dist, relative(src, file)).replace(/\.tsx?$/, '.js');
      try {
        return statSync(out).mtimeMs >= statSync(file).mtimeMs;
      } catch {
        return false;
      }
    });
    checked.set(pkg, ok);
  }
  return ok;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}
