import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeServerFrame, deliverFrameHead, DELIVER_FRAME_END, encodeDeliverFrame, encodeFrame, MESSAGE_DELIVER, type MessageDeliverFrame } from '../src/index.js';

// What the relay puts in a deliver frame: its own ids, UUID guids, minute timestamps, base64 content.
const deliverFrame: fc.Arbitrary<MessageDeliverFrame> = fc.record({
  type: fc.constant(MESSAGE_DELIVER),
  id: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  envelope: fc.record({
    guid: fc.uuid({ version: 4 }),
    serverTimestamp: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    content: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => btoa(String.fromCharCode(...b))),
  }),
});

describe('the deliver-frame fast encoder', () => {
  test('writes exactly what the generic codec writes, and the schema reads it back', () => {
    fc.assert(
      fc.property(deliverFrame, (frame) => {
        const fast = encodeDeliverFrame(frame.id, frame.envelope);
        expect(fast).toBe(encodeFrame(frame));
        expect(decodeServerFrame(fast)).toEqual(frame);
      }),
      { numRuns: 2_000 },
    );
  });

  test('head ‖ content in any pieces ‖ end is the same frame (how a group send is written)', () => {
    fc.assert(
      fc.property(deliverFrame, fc.nat(), (frame, cut) => {
        const { guid, serverTimestamp, content } = frame.envelope;
        const at = cut % (content.length + 1);
        const pieces = deliverFrameHead(frame.id, guid, serverTimestamp) + content.slice(0, at) + (content.slice(at) + DELIVER_FRAME_END);
        expect(pieces).toBe(encodeFrame(frame));
      }),
    );
  });
});
