import { ProtocolError } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { AckBatch, type Ack } from '../../src/services/delivery/ack-batch.js';
import { GroupSendBatch } from '../../src/services/delivery/send-batch.js';
import type { GroupSendMessage } from '../../src/services/delivery/sent-message.js';
import { nextTurn } from './fixtures.js';

// The two end-of-turn batches hold no storage: what they decide is when their flush runs and what it
// gets, observed here through the flush they are built with.

const ack = (id: number): Ack => ({ accountId: 'a', deviceId: 1, id });

describe('AckBatch', () => {
  test('acknowledgements of one turn reach one flush together, in order; the next turn starts a new batch', async () => {
    const flushed: Ack[][] = [];
    const batch: AckBatch = new AckBatch(() => flushed.push(batch.take()));
    for (let id = 1; id <= 1000; id++) batch.add(ack(id));
    batch.schedule();
    expect(flushed).toEqual([]);
    await nextTurn();
    expect(flushed.map((f) => f.length)).toEqual([1000]);
    expect(flushed[0]!.map((a) => a.id)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    batch.add(ack(1001));
    await nextTurn();
    expect(flushed.map((f) => f.length)).toEqual([1000, 1]);
  });

  test('schedule alone asks for one flush (write-behind releases with no ack); take cancels the one asked for', async () => {
    let runs = 0;
    const batch = new AckBatch(() => runs++);
    batch.schedule();
    batch.schedule();
    await nextTurn();
    expect(runs).toBe(1);
    batch.add(ack(1));
    expect(batch.take()).toEqual([ack(1)]); // flushed early (a queue read, shutdown)
    await nextTurn();
    expect(runs).toBe(1);
    expect(batch.take()).toEqual([]);
  });
});

describe('GroupSendBatch', () => {
  const message = (n: number) => ({ recipients: [], shared: new Uint8Array([n]), head: new Uint8Array() }) satisfies GroupSendMessage;

  test('sends of one turn are stored by one call, in order; each caller gets its own outcome', async () => {
    const calls: number[][] = [];
    const batch = new GroupSendBatch((messages) => {
      calls.push(messages.map((m) => m.shared[0]!));
      return messages.map((m) => (m.shared[0] === 2 ? new ProtocolError('STALE_DEVICES', 'stale') : m.shared[0]! * 10));
    });
    const outcomes = await Promise.allSettled([batch.add(message(1)), batch.add(message(2)), batch.add(message(3))]);
    expect(calls).toEqual([[1, 2, 3]]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as ProtocolError).code))).toEqual([10, 'STALE_DEVICES', 30]);
    expect(await batch.add(message(4))).toBe(40);
    expect(calls).toEqual([[1, 2, 3], [4]]);
  });

  test('a batch whose store throws rejects every send in it with that error, and the next batch is unaffected', async () => {
    let fail = true;
    const batch = new GroupSendBatch((messages) => {
      if (fail) throw new Error('disk I/O error');
      return messages.map(() => 1);
    });
    const outcomes = await Promise.allSettled([batch.add(message(1)), batch.add(message(2))]);
    expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as Error).message)).toEqual(['disk I/O error', 'disk I/O error']);
    fail = false;
    expect(await batch.add(message(3))).toBe(1);
  });
});
