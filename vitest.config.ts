import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources (the `@aviso/source` export condition),
// so unit tests need no build. End-to-end tests spawn the relay the same way `npm start` does.
export default defineConfig({
  ssr: { resolve: { conditions: ['@aviso/source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'tests/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The CLI speaks the terminal's language and prints times in its zone: tests that read its
    // English output pin both (children inherit them), so a Spanish or non-UTC CI machine changes
    // nothing. Tests of Spanish output set AVISO_LANG=es (or LANG) on the process they start.
    env: { AVISO_LANG: 'en', TZ: 'UTC' },
    // Most test files spend their time waiting on other processes (relays, CLIs, the app, Chromium),
    // so two files at a time keep a 2-core machine busy; vitest's own default (one fewer than the
    // cores) would run them one by one there.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // CI reads the summary from a JSON report (vitest is not a runner its harness parses).
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.ci/out/vitest.json' },
  },
});
