import fc from 'fast-check';
import { decodeClientFrame, PING, RESPONSE } from '@aviso/protocol';
import { boundaryNumber, hostileValue, junkBody, mutated } from './hostile.js';

/** One thing a fuzzed client does on its socket. `enqueue` has the relay store an envelope for it. */
export type FrameInput = { kind: 'text'; data: string } | { kind: 'binary'; data: Buffer } | { kind: 'enqueue' };

/** The oracle: the protocol's own decoder says whether the relay must accept a frame. */
export function isValidFrame(f: FrameInput): boolean {
  if (f.kind !== 'text') return false;
  try {
    decodeClientFrame(f.data);
    return true;
  } catch {
    return false;
  }
}

const templates = [
  { type: PING, id: 1 },
  { type: RESPONSE, id: 1, status: 200 },
  { type: RESPONSE, id: 2, status: 500 },
  { type: 'message.deliver', id: 1, envelope: { guid: '00000000-0000-4000-8000-000000000000', serverTimestamp: 0, content: 'AA==' } },
  { type: 'pong', id: 1 },
  { type: 'queue.empty' },
];

/** The exact text of the relay's fast path for acknowledgements, with ids and statuses at its edges. */
const plainResponse = fc
  .tuple(
    fc.oneof(boundaryNumber.map(String), fc.constantFrom('01', '0', '2147483647', '2147483648', '9999999999', '-1', '1.0', '1e3'), fc.nat().map(String)),
    fc.oneof(fc.integer({ min: 0, max: 700 }).map(String), fc.constantFrom('099', '200', '599', '600', '2000', '20', '2.0e2')),
  )
  .map(([id, status]) => `{"type":"response","id":${id},"status":${status}}`);

export const frameInput: fc.Arbitrary<FrameInput> = fc.oneof(
  { weight: 6, arbitrary: mutated(templates).map((v) => ({ kind: 'text' as const, data: JSON.stringify(v) ?? 'null' })) },
  { weight: 3, arbitrary: plainResponse.map((data) => ({ kind: 'text' as const, data })) },
  { weight: 2, arbitrary: junkBody.map((b) => (typeof b === 'string' ? { kind: 'text' as const, data: b } : { kind: 'binary' as const, data: b })) },
  { weight: 1, arbitrary: hostileValue.map((v) => ({ kind: 'text' as const, data: JSON.stringify(v) ?? 'null' })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => ({ kind: 'binary' as const, data: Buffer.from(b) })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'enqueue' as const }) },
);
