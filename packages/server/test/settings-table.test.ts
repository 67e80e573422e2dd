import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { SETTING_NAMES } from '../src/config.js';
import { HELP_BEGIN, HELP_END, replaceBlock, settingRows, settingsHelpSource, settingsMarkdown, TABLE_BEGIN, TABLE_END } from '../src/config/settings-table.js';
import { describeUnknownSetting, OTHER_AVISO_VARIABLES, unknownSettings } from '../src/config/unknown-vars.js';

const read = (path: string) => readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8');

describe('the settings table is generated from the zod schema', () => {
  test('docs/operating.md holds the current table (run `npm run docs:settings` after changing config.ts)', () => {
    const doc = read('../../../docs/operating.md');
    expect(replaceBlock(doc, TABLE_BEGIN, TABLE_END, settingsMarkdown())).toBe(doc);
  });

  test('aviso-relay --help lists the current settings (same command)', () => {
    const help = read('../src/cli/help.ts');
    expect(replaceBlock(help, HELP_BEGIN, HELP_END, settingsHelpSource())).toBe(help);
  });

  test('every setting has a row with its default and allowed values from the schema', () => {
    const rows = settingRows();
    expect(rows.map((r) => r.name)).toEqual([...SETTING_NAMES]);
    expect(rows.find((r) => r.name === 'AVISO_PORT')).toMatchObject({ fallback: '8080', allowed: '0–65,535' });
    expect(rows.find((r) => r.name === 'AVISO_LOG_LEVEL')).toMatchObject({ fallback: 'info', allowed: '`error` `warn` `info` `debug`' });
    expect(rows.find((r) => r.name === 'AVISO_WS_MAX_BUFFERED_KIB')).toMatchObject({ fallback: '16384', allowed: '1024–1,048,576' });
    expect(rows.find((r) => r.name === 'AVISO_METRICS_PORT')?.fallback).toBeUndefined();
  });

  test('a stale table is caught: a changed default shows up as a difference', () => {
    const doc = read('../../../docs/operating.md');
    const stale = doc.replace('| `AVISO_QUEUE_TTL_DAYS` | `7` |', '| `AVISO_QUEUE_TTL_DAYS` | `14` |');
    expect(replaceBlock(stale, TABLE_BEGIN, TABLE_END, settingsMarkdown())).not.toBe(stale);
  });
});

describe('unknown AVISO_* variables', () => {
  test('a typo is reported with the closest setting', () => {
    expect(unknownSettings({ AVISO_PROT: '9000', AVISO_QUEUE_TTL_DAY: '3', AVISO_PORT: '1', PATH: '/bin' })).toEqual([
      { name: 'AVISO_PROT', suggestion: 'AVISO_PORT' },
      { name: 'AVISO_QUEUE_TTL_DAY', suggestion: 'AVISO_QUEUE_TTL_DAYS' },
    ]);
    expect(describeUnknownSetting({ name: 'AVISO_PROT', suggestion: 'AVISO_PORT' })).toBe(
      'warning: AVISO_PROT is not a relay setting and is ignored — did you mean AVISO_PORT?',
    );
  });

  test('a name close to nothing gets no guess; the member tools\' variables are not reported', () => {
    const env = Object.fromEntries(OTHER_AVISO_VARIABLES.map((n) => [n, 'x']));
    expect(unknownSettings({ ...env, AVISO_SOMETHING_ELSE_ENTIRELY: '1' })).toEqual([{ name: 'AVISO_SOMETHING_ELSE_ENTIRELY' }]);
    expect(describeUnknownSetting({ name: 'AVISO_SOMETHING_ELSE_ENTIRELY' })).toContain('see "aviso-relay --help"');
  });

  test('a hostile name cannot put terminal escapes on the operator\'s screen', () => {
    const line = describeUnknownSetting({ name: 'AVISO_\u001b[2J\u001b[31mX' });
    expect(line).not.toContain('\u001b');
    expect(line).toContain('\\u001b');
  });
});
