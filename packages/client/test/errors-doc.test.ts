import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as sdk from '../src/index.js';

// The SDK's client-side errors are classes (and their codes) rather than rows of the protocol's
// table, so docs/sdk.md's Errors table is their one list: it must name every exported class.
describe('docs/sdk.md error table', () => {
  const doc = readFileSync(new URL('../../../docs/sdk.md', import.meta.url), 'utf8');
  const errors = doc.slice(doc.indexOf('## Errors'), doc.indexOf('\n## ', doc.indexOf('## Errors') + 1));
  const documented = new Set([...errors.matchAll(/^\|\s*`(\w+Error)`/gm)].map((m) => m[1]));
  const exported = Object.entries(sdk)
    .filter(([, v]) => typeof v === 'function' && v.prototype instanceof Error)
    .map(([name]) => name);

  it('documents every error class the SDK exports, and no other', () => {
    expect(exported.length).toBeGreaterThan(0);
    expect([...documented].sort()).toEqual(exported.sort());
  });

  it('documents the client-side DATA_DIR_LOCKED code', () => {
    expect(errors).toMatch(/`DataDirLockedError`.*`'DATA_DIR_LOCKED'`/);
  });
});
