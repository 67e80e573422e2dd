import { describe, expect, test } from 'vitest';
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { textFrameHeaderLength, writeTextFrameHeader } from '../src/ws/text-frame.js';

// ws's own framing and parsing (exported at runtime, not in @types/ws): the reference to match.
const { Sender, Receiver } = createRequire(import.meta.url)('ws') as {
  Sender: { frame(data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }): Buffer[] };
  Receiver: new (options: { isServer: boolean }) => EventEmitter & { write(chunk: Buffer): void };
};

describe('writeTextFrameHeader', () => {
  // Each length-encoding boundary of RFC 6455 (7-bit, 16-bit, 64-bit), on both sides.
  const lengths = [0, 1, 125, 126, 127, 65_535, 65_536, 100_000];

  test.each(lengths)('matches ws for a %i-byte payload', (length) => {
    const payload = Buffer.alloc(length, 0x61);
    const [expected] = Sender.frame(payload, { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false });
    const header = Buffer.alloc(10, 0xee);
    const n = writeTextFrameHeader(header, length);
    expect(n).toBe(textFrameHeaderLength(length));
    expect(header.subarray(0, n)).toEqual(expected);
  });

  test('a frame sent as header ‖ head and a shared tail parses back as one text message', async () => {
    const head = Buffer.from('{"type":"message.deliver","id":7,"content":"');
    const tail = Buffer.from(`${'QUJD'.repeat(20_000)}"}`);
    const first = Buffer.alloc(textFrameHeaderLength(head.length + tail.length) + head.length);
    head.copy(first, writeTextFrameHeader(first, head.length + tail.length));
    const receiver = new Receiver({ isServer: false });
    const message = new Promise<[Buffer, boolean]>((resolve) => receiver.on('message', (data: Buffer, isBinary: boolean) => resolve([data, isBinary])));
    receiver.write(Buffer.concat([first, tail]));
    const [data, isBinary] = await message;
    expect(isBinary).toBe(false);
    expect(data.toString()).toBe(head.toString() + tail.toString());
  });
});
