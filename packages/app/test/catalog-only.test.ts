import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

// Every visible string comes from @aviso/i18n: a word typed into a component would show in one
// language only. Symbols and icons (📍, ←, ·) are allowed; letters are not.
const SRC = join(import.meta.dirname, '..', 'src');
/** A JSX text run, not TypeScript between a generic's brackets or an arrow (those hold code characters). */
const isText = (t: string): boolean => /\p{L}/u.test(t) && !/[()[\];=&|?:'"`]/.test(t);
const files = readdirSync(SRC).filter((f) => f.endsWith('.tsx'));

describe('the app shows only catalog strings', () => {
  test.each(files)('%s has no literal text in JSX or in visible attributes', (file) => {
    const source = readFileSync(join(SRC, file), 'utf8');
    const jsxText = [...source.matchAll(/(?<!=)>([^<>{}]*)[<{]/g)].map((m) => m[1]!.trim()).filter(isText);
    const attributes = [...source.matchAll(/\b(?:placeholder|title|aria-label|alt)="([^"]*)"/g)].map((m) => m[1]!);
    expect([...jsxText, ...attributes]).toEqual([]);
  });

  test('the check finds a literal', () => {
    const sample = '<button class="big">Send alert</button> <input placeholder="Where?" />';
    expect([...sample.matchAll(/(?<!=)>([^<>{}]*)[<{]/g)].map((m) => m[1]!.trim()).filter(isText)).toEqual(['Send alert']);
    expect([...sample.matchAll(/\b(?:placeholder|title|aria-label|alt)="([^"]*)"/g)].map((m) => m[1])).toEqual(['Where?']);
  });
});
