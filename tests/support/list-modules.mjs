// A preload (`node --import ./tests/support/list-modules.mjs …`) that writes, when the process exits,
// every module file it loaded to the file named by $AVISO_LIST_MODULES, one URL or path a line:
// ES modules as the loader resolved them (a resolve hook) and CommonJS modules and native addons
// from require's cache (libsignal and better-sqlite3 are CommonJS over a .node addon). Tests use it
// to hold that a command's start does not load what it does not need.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import process from 'node:process';

const out = process.env.AVISO_LIST_MODULES;
if (out) {
  const hooks = `
    import { appendFileSync } from 'node:fs';
    export async function resolve(specifier, context, next) {
      const resolved = await next(specifier, context);
      appendFileSync(${JSON.stringify(out)}, resolved.url + '\\n');
      return resolved;
    }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => appendFileSync(out, Object.keys(cache).map((path) => `${path}\n`).join('')));
}
