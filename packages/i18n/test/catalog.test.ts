import { IntlMessageFormat } from 'intl-messageformat';
import { describe, expect, it } from 'vitest';
import { CATALOG, ICU_OPTIONS, LANGS, age, pickLang, t, type MessageKey } from '../src/index.js';
import { plainFill } from '../src/plain.js';

interface AstNode {
  type: number;
  value?: string;
  options?: Record<string, { value: AstNode[] }>;
}

/** The placeholder names of an ICU message, nested ones included (plural branches). */
function placeholders(message: string): string[] {
  const names = new Set<string>();
  const walk = (nodes: AstNode[]): void => {
    for (const n of nodes) {
      if (n.type !== 0 && n.type !== 7 && n.value) names.add(n.value); // 0 literal, 7 pound (#)
      for (const o of Object.values(n.options ?? {})) walk(o.value);
    }
  };
  walk(new IntlMessageFormat(message, 'en', undefined, ICU_OPTIONS).getAst() as AstNode[]);
  return [...names].sort();
}

describe('catalog', () => {
  const keys = new Set(LANGS.flatMap((l) => Object.keys(CATALOG[l])));
  for (const key of keys) {
    it(`${key}: present in every language with the same placeholders`, () => {
      const [first, ...rest] = LANGS.map((l) => {
        const m = CATALOG[l][key as MessageKey];
        expect(m, `${l} lacks ${key}`).toBeTypeOf('string');
        expect(m.trim(), `${l} ${key} is empty`).not.toBe('');
        return placeholders(m);
      });
      for (const p of rest) expect(p).toEqual(first);
    });
  }

  it('fills plain messages by hand exactly as the ICU formatter would', () => {
    let plain = 0;
    for (const lang of LANGS) {
      for (const [key, message] of Object.entries(CATALOG[lang])) {
        const params = Object.fromEntries(placeholders(message).map((p, i) => [p, i % 2 ? i : `v${i}`]));
        const fast = plainFill(message, params);
        if (fast === undefined) continue;
        plain++;
        expect(fast, `${lang} ${key}`).toBe(String(new IntlMessageFormat(message, lang, undefined, ICU_OPTIONS).format(params)));
      }
    }
    expect(plain).toBeGreaterThan(100); // most messages take the fast path
    expect(plainFill("it's '{'x'}'", {})).toBeUndefined(); // quoting goes to ICU
    expect(plainFill('{n, plural, one {# a} other {# b}}', { n: 1 })).toBeUndefined();
    expect(() => plainFill('hi {name}', {})).toThrow(/name/);
  });

  it('keeps the fixed labels guides and tests rely on', () => {
    expect(['seen', 'on-my-way', 'on-scene', 'cannot'].map((s) => t('es', `ack.${s}` as MessageKey))).toEqual(['Visto', 'Voy en camino', 'En el lugar', 'No puedo']);
    expect(['seen', 'on-my-way', 'on-scene', 'cannot'].map((s) => t('en', `ack.${s}` as MessageKey))).toEqual(['Seen', 'On my way', 'On scene', "Can't go"]);
    expect([t('en', 'report.send'), t('es', 'report.send'), t('en', 'onboard.join'), t('es', 'onboard.join')]).toEqual(['Send alert', 'Enviar alerta', 'Join', 'Unirme']);
  });

  it('words plurals and ages through Intl', () => {
    expect(t('es', 'board.count', { count: 1 })).toBe('1 alerta');
    expect(t('es', 'board.count', { count: 3 })).toBe('3 alertas');
    expect(t('en', 'board.count', { count: 0 })).toBe('No alerts');
    expect(age('es', 5 * 60_000)).toMatch(/hace 5 min/);
    expect(age('en', 1000)).toBe('just now');
  });

  it('picks the language from preferences', () => {
    expect(pickLang(['es-MX', 'en-US'])).toBe('es');
    expect(pickLang(['en-US'])).toBe('en');
    expect(pickLang(['fr-FR'])).toBe('es');
  });
});
