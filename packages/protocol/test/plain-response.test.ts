import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeClientFrame, encodeFrame, readPlainResponse } from '../src/index.js';

// The form it reads, as a regular expression: the reference the byte reader must agree with.
const PLAIN = /^\{"type":"response","id":(0|[1-9]\d{0,9}),"status":([1-5]\d\d)\}$/;
function reference(text: string) {
  const m = PLAIN.exec(text);
  if (m === null) return undefined;
  const id = Number(m[1]);
  return id <= 2 ** 31 - 1 ? { type: 'response', id, status: Number(m[2]) } : undefined;
}
const read = (text: string) => readPlainResponse(new TextEncoder().encode(text));

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

  test('agrees with the generic decoder: every response frame it reads, the schema decodes the same', () => {
    const frame = fc.record({ type: fc.constant('response' as const), id: fc.integer({ min: 0, max: 2 ** 31 - 1 }), status: fc.integer({ min: 100, max: 599 }) });
    fc.assert(
      fc.property(frame, (f) => {
        const text = encodeFrame(f);
        // Every response a client writes takes the fast path.
        expect(read(text)).toEqual(f);
        expect(decodeClientFrame(text)).toEqual(f);
      }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.string(), frame.map((f) => encodeFrame(f))), (text) => {
        const fast = read(text);
        if (fast !== undefined) expect(decodeClientFrame(text)).toEqual(fast);
      }),
      { numRuns: 5_000 },
    );
  });
});
