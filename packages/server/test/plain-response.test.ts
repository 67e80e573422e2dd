import fc from 'fast-check';
import { decodeClientFrame } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { readPlainResponse } from '../src/ws/plain-response.js';

// The form it reads, as a regular expression: the reference the byte reader must agree with.
const PLAIN = /^\{"type":"response","id":(0|[1-9]\d{0,9}),"status":([1-5]\d\d)\}$/;
function reference(text: string) {
  const m = PLAIN.exec(text);
  if (m === null) return undefined;
  const id = Number(m[1]);
  return id <= 2 ** 31 - 1 ? { type: 'response', id, status: Number(m[2]) } : undefined;
}
const read = (text: string) => readPlainResponse(Buffer.from(text, 'utf8'));

describe('readPlainResponse', () => {
  test('reads what clients write, and agrees with the schema on it', () => {
    for (const frame of [{ type: 'response', id: 0, status: 200 }, { type: 'response', id: 42, status: 500 }, { type: 'response', id: 2 ** 31 - 1, status: 199 }]) {
      const text = JSON.stringify(frame);
      expect(read(text)).toEqual(frame);
      expect(decodeClientFrame(text)).toEqual(frame);
    }
  });

  test('leaves everything else to the schema: other forms, leading zeros, out-of-range ids and statuses, trailing bytes', () => {
    for (const text of [
      '{"type":"response","id":01,"status":200}',
      '{"type":"response","id":2147483648,"status":200}',
      '{"type":"response","id":99999999999,"status":200}',
      '{"type":"response","id":1,"status":600}',
      '{"type":"response","id":1,"status":20}',
      '{"type":"response","id":1,"status":200} ',
      '{"id":1,"type":"response","status":200}',
      '{"type":"response", "id":1,"status":200}',
      '{"type":"response","id":-1,"status":200}',
      '{"type":"response","id":,"status":200}',
      '{"type":"ping","id":1}',
      '',
    ]) {
      expect(read(text)).toBeUndefined();
      expect(reference(text)).toBeUndefined();
    }
  });

  test('agrees with the regular expression on arbitrary and near-miss input', () => {
    const nearMiss = fc
      .tuple(fc.stringMatching(/^[0-9]{0,12}$/), fc.stringMatching(/^[0-9]{0,4}$/), fc.constantFrom('', '}', '}}', ' }', 'x'))
      .map(([id, status, end]) => `{"type":"response","id":${id},"status":${status}${end}`);
    fc.assert(
      fc.property(fc.oneof(nearMiss, fc.string(), fc.string({ unit: 'grapheme' })), (text) => {
        expect(read(text)).toEqual(reference(text));
      }),
      { numRuns: 20_000 },
    );
  });
});
