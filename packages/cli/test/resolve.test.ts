import { describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import { resolveOne, type Namer } from '../src/resolve.js';

interface Item {
  id: string;
  name?: string;
}
const namer: Namer<Item> = { kind: 'group', id: (i) => i.id, name: (i) => i.name, listCommand: 'aviso groups' };
const items: Item[] = [
  { id: '3f2a9c10aa', name: 'Eastside' },
  { id: '3f2b0000bb', name: 'Westside' },
  { id: '77b0e1d2cc', name: 'eastside ' },
  { id: 'abcdef1234', name: 'Dispatch' },
  { id: 'dispatch99', name: 'Other' },
];

function failure(fn: () => unknown): CliError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('expected a CliError');
}

describe('resolveOne', () => {
  it('finds by exact name, case-insensitively, and by full id', () => {
    expect(resolveOne(items, 'westside', namer).id).toBe('3f2b0000bb');
    expect(resolveOne(items, 'ABCDEF1234', namer).name).toBe('Dispatch');
  });

  it('finds by a unique id prefix of at least 4 characters', () => {
    expect(resolveOne(items, '3f2a', namer).name).toBe('Eastside');
    expect(resolveOne(items, '77b0e', namer).id).toBe('77b0e1d2cc');
    const short = failure(() => resolveOne(items, '77b', namer));
    expect(short.code).toBe('NOT_FOUND');
  });

  it('prefers a name over an id prefix it also matches', () => {
    expect(resolveOne(items, 'dispatch', namer).id).toBe('abcdef1234');
  });

  it('lists every candidate when a name is ambiguous', () => {
    const e = failure(() => resolveOne(items, 'Eastside', namer));
    expect(e.code).toBe('AMBIGUOUS');
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain('"Eastside" matches 2 groups');
    expect(e.message).toContain('(3f2a9c10)');
    expect(e.message).toContain('(77b0e1d2)');
    expect(e.message).not.toContain('Westside');
  });

  it('calls an id prefix shared by several items ambiguous', () => {
    const e = failure(() => resolveOne(items, '3f2', namer));
    expect(e.code).toBe('NOT_FOUND'); // too short to be a prefix at all
    const f = failure(() => resolveOne([...items, { id: '3f2a9c10ff' }], '3f2a9', namer));
    expect(f.code).toBe('AMBIGUOUS');
    expect(f.message).toContain('matches 2 groups');
  });

  it('says what to run when nothing matches', () => {
    const e = failure(() => resolveOne(items, 'Northside', namer));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toBe('no group named "Northside" or with id "Northside" — run `aviso groups` to list them');
    const scoped = failure(() => resolveOne([], 'Ana', { kind: 'member', id: (i: Item) => i.id, name: (i) => i.name, listCommand: 'aviso members Eastside', scope: 'in "Eastside"' }));
    expect(scoped.message).toBe('no member named "Ana" or with id "Ana" in "Eastside" — run `aviso members Eastside` to list them');
  });

  it('names alerts by id only', () => {
    const alerts = [{ id: '2cdb2af6-e584' }, { id: '2cdc0000-0000' }];
    const alertNamer = { kind: 'alert', id: (a: { id: string }) => a.id, listCommand: 'aviso alerts' };
    expect(resolveOne(alerts, '2cdb', alertNamer).id).toBe('2cdb2af6-e584');
    expect(failure(() => resolveOne(alerts, '2cd', alertNamer)).message).toBe('no alert with id "2cd" — run `aviso alerts` to list them');
  });

  it('treats look-alike names as the same name: a spoof makes the real one ambiguous', () => {
    const members: Item[] = [
      { id: 'a0000000aa', name: 'Rosa' },
      { id: 'b0000000bb', name: 'Ana' },
    ];
    const memberNamer: Namer<Item> = { ...namer, kind: 'member' };
    expect(resolveOne(members, 'rosa', memberNamer).id).toBe('a0000000aa');
    for (const spoof of ['Ro\u200Bsa', 'Rоѕа' /* Cyrillic о ѕ а */, 'R0sa', 'Rosa (admin)', '\u202ERosa']) {
      const e = failure(() => resolveOne([...members, { id: 'c0000000cc', name: spoof }], 'Rosa', memberNamer));
      expect(e.code, spoof).toBe('AMBIGUOUS');
      expect(e.message).toContain('"Rosa" matches 2 members');
      expect(e.message).toContain('(a0000000)');
      expect(e.message).toContain('(c0000000)');
      expect(e.message).not.toContain('\u202E'); // the listed names cannot reorder the line
    }
    // A look-alike typed by the user still finds the one member it looks like.
    expect(resolveOne(members, 'R0SA', memberNamer).id).toBe('a0000000aa');
  });
});
