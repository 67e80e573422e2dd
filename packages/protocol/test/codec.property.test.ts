import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  decodeClientFrame,
  decodeContent,
  decodeServerFrame,
  encodeContent,
  encodeFrame,
  pad,
  ProtocolError,
  unpad,
  type ClientFrame,
} from '../src/index.js';

const onlyProtocolErrors = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
  }
};

// Frames that look almost right are the interesting inputs: valid types with wrong fields.
const nearFrame = fc.record(
  {
    type: fc.constantFrom('ping', 'response', 'message.deliver', 'queue.empty', 'queue.overflow', 'error', 'pong', 'x'),
    id: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
    status: fc.oneof(fc.integer(), fc.string()),
    dropped: fc.integer(),
    envelope: fc.anything(),
    code: fc.string(),
    message: fc.anything(),
  },
  { requiredKeys: [] },
);

describe('decoders throw nothing but ProtocolError', () => {
  test('arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (raw) => {
        onlyProtocolErrors(() => decodeClientFrame(raw));
        onlyProtocolErrors(() => decodeServerFrame(raw));
      }),
      { numRuns: 2000 },
    );
  });
  test('arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const raw = JSON.stringify(value) ?? 'null';
        onlyProtocolErrors(() => decodeClientFrame(raw));
        onlyProtocolErrors(() => decodeServerFrame(raw));
      }),
      { numRuns: 2000 },
    );
  });
  test('near-valid frames', () => {
    fc.assert(
      fc.property(nearFrame, (frame) => {
        const raw = JSON.stringify(frame);
        onlyProtocolErrors(() => decodeClientFrame(raw));
        onlyProtocolErrors(() => decodeServerFrame(raw));
      }),
      { numRuns: 2000 },
    );
  });
  test('arbitrary decrypted bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1024 }), (bytes) => onlyProtocolErrors(() => decodeContent(bytes))),
      { numRuns: 2000 },
    );
  });
});

describe('round trips', () => {
  test('client frames survive encode → decode', () => {
    const frame: fc.Arbitrary<ClientFrame> = fc.oneof(
      fc.record({ type: fc.constant('ping' as const), id: fc.integer({ min: 0, max: 2 ** 31 - 1 }) }),
      fc.record({
        type: fc.constant('response' as const),
        id: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        status: fc.integer({ min: 100, max: 599 }),
      }),
    );
    fc.assert(
      fc.property(frame, (f) => {
        expect(decodeClientFrame(encodeFrame(f))).toEqual(f);
      }),
    );
  });

  test('content survives encode → decode, padded to a size bucket', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), fc.integer({ min: 0, max: 2 ** 47 }), (text, sentAt) => {
        const content = { v: 1 as const, sentAt, body: { type: 'direct' as const, text } };
        const bytes = encodeContent(content);
        expect(bytes.length >= 1024 && (bytes.length & (bytes.length - 1)) === 0).toBe(true); // a power-of-two bucket
        expect(decodeContent(bytes)).toEqual(content);
      }),
    );
  });

  test('padding hides length within a block and unpad inverts pad', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), (data) => {
        const padded = pad(data);
        expect(padded.length).toBe(Math.ceil((data.length + 1) / 256) * 256);
        expect(Array.from(unpad(padded))).toEqual(Array.from(data));
      }),
    );
  });
});
