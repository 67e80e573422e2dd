import { describe, expect, test } from 'vitest';
import { cliLang } from '../src/lang.js';

describe('the CLI language', () => {
  test('AVISO_LANG decides first', () => {
    expect(cliLang({ AVISO_LANG: 'es', LANG: 'en_US.UTF-8' })).toBe('es');
    expect(cliLang({ AVISO_LANG: 'EN', LC_ALL: 'es_MX.UTF-8' })).toBe('en');
  });
  test('then LC_ALL, LC_MESSAGES and LANG in POSIX order: the first one set wins', () => {
    expect(cliLang({ LANG: 'es_MX.UTF-8' })).toBe('es');
    expect(cliLang({ LC_MESSAGES: 'es_ES@euro', LANG: 'en_US.UTF-8' })).toBe('es');
    expect(cliLang({ LC_ALL: 'C', LANG: 'es_MX.UTF-8' })).toBe('en');
    expect(cliLang({ LC_ALL: 'es-419', LC_MESSAGES: 'en_GB' })).toBe('es');
  });
  test('an unknown AVISO_LANG falls through to the locale; nothing set is English', () => {
    expect(cliLang({ AVISO_LANG: 'fr', LANG: 'es_US.UTF-8' })).toBe('es');
    expect(cliLang({ LANG: 'fr_FR.UTF-8' })).toBe('en');
    expect(cliLang({})).toBe('en');
  });
});
