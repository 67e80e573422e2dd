import { CATALOG } from '@aviso/i18n/lite';
import { ACK_STATUSES, ALERT_KINDS, SEVERITIES } from '@aviso/protocol/constants';
import { describe, expect, test } from 'vitest';
import { ALIASES, ackStatusOf, fold, kindOf, severityOf } from '../src/aliases.js';

describe('Spanish words on input', () => {
  test('fold ignores case, accents and spaces', () => {
    expect(fold('  Retén ')).toBe('reten');
    expect(fold('Voy en  camino')).toBe('voy-en-camino');
    expect(fold('NO_PUEDO')).toBe('no-puedo');
  });

  test('every kind, severity and answer the app shows in Spanish is accepted as typed', () => {
    for (const k of ALERT_KINDS) expect(kindOf(CATALOG.es[`kind.${k}`])).toBe(k);
    for (const s of SEVERITIES) expect(severityOf(CATALOG.es[`severity.${s}`])).toBe(s);
    for (const a of ACK_STATUSES) expect(ackStatusOf(CATALOG.es[`ack.${a}`])).toBe(a);
  });

  test('the protocol words still work, and what names nothing is left for oneOf to refuse', () => {
    expect(kindOf('Raid')).toBe('raid');
    expect(ackStatusOf('on-my-way')).toBe('on-my-way');
    expect(kindOf('redadas')).toBe('redadas');
    expect(ackStatusOf('constructor')).toBe('constructor'); // not an inherited property
    for (const [kind, map] of Object.entries(ALIASES)) for (const word of Object.keys(map)) expect(fold(word), `${kind} ${word}`).toBe(word);
  });

  test("the errors' English lists are the protocol's", () => {
    expect(CATALOG.en['cli.allowed.kinds']).toBe(ALERT_KINDS.join(', '));
    expect(CATALOG.en['cli.allowed.severities']).toBe(SEVERITIES.join(', '));
    expect(CATALOG.en['cli.allowed.statuses']).toBe(ACK_STATUSES.join(', '));
  });
});
