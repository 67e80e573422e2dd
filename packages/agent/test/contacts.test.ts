import { describe, expect, it } from 'vitest';
import type { RollCall } from '@aviso/client';
import { CONTACT_MAX_CHARS, composeDescription, parseDescription, rollCallJson } from '../src/views/index.js';

describe('the hotline convention in a group description', () => {
  it('reads labelled lines in English or Spanish, case-insensitively, and keeps the rest as the about text', () => {
    expect(parseDescription('Vecinos de Compton.\nHotline: (213) 555-0100\nlegal:  CHIRLA 888-624-4752 \nNos vemos los martes.')).toEqual({
      about: 'Vecinos de Compton.\nNos vemos los martes.',
      hotline: '(213) 555-0100',
      legal: 'CHIRLA 888-624-4752',
    });
    expect(parseDescription('Línea: 555-0101\nAbogados: Ana, 555-0102')).toEqual({ about: '', hotline: '555-0101', legal: 'Ana, 555-0102' });
  });

  it('takes the first line of each kind, ignores empty values and lines that only mention a label', () => {
    const parsed = parseDescription('Hotline:\nHotline: 1\nHotline: 2\nCall the hotline: later\nLegal : not a label');
    expect(parsed.hotline).toBe('1');
    expect(parsed.legal).toBeUndefined();
    expect(parsed.about).toBe('Call the hotline: later\nLegal : not a label');
  });

  it('cuts a contact to its limit', () => {
    expect([...parseDescription(`Hotline: ${'9'.repeat(500)}`).hotline!].length).toBe(CONTACT_MAX_CHARS);
  });

  it('writes back what it reads, and an about line that looks like a label stays text', () => {
    const about = 'Somos vecinos.\nLegal: this line is part of the about text';
    const written = composeDescription(about, { hotline: ' 555-0100 ', legal: 'CHIRLA\n888' });
    expect(written).toBe('Somos vecinos.\nLegal : this line is part of the about text\nHotline: 555-0100\nLegal: CHIRLA 888');
    expect(parseDescription(written)).toEqual({ about: 'Somos vecinos.\nLegal : this line is part of the about text', hotline: '555-0100', legal: 'CHIRLA 888' });
    expect(composeDescription('', { hotline: '', legal: undefined })).toBe('');
  });
});

describe('the roll call view', () => {
  it('names who answered how and who has not answered', () => {
    const roll: RollCall = { seen: ['b'], onMyWay: ['c'], onScene: [], cannot: [], confirmed: ['c'], disputed: [] };
    const people = new Map(['a', 'b', 'c'].map((id) => [id, { accountId: id, displayName: id.toUpperCase() } as never]));
    const json = rollCallJson('g', 'x', roll, people);
    expect(json.acks).toMatchObject({ seen: 1, onMyWay: 1, onScene: 0 });
    expect(json['onMyWay']).toEqual([{ accountId: 'c', displayName: 'C' }]);
    expect(json['noAnswer']).toEqual([{ accountId: 'a', displayName: 'A' }]);
  });
});
