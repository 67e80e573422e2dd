import { describe, expect, test } from 'vitest';
import type { DeviceKey } from '../../src/ports/prekeys.js';
import type { QueuedMessage } from '../../src/services/delivery/notifier.js';
import { devices, envelopeRows, groupSend, instrumented, messagesService, nextTurn, REGISTRATION_ID, sqliteBackend } from './fixtures.js';

// The rules the facade (delivery.ts) keeps between its parts, on the real SQLite backend: a queue
// read sees rows write-behind still holds, every write first writes rows owed, and the end-of-turn
// flush writes released rows, then deletions, then pending-row removals, in one commit.

/** Every device in `ds` online with room: its listener takes what it is handed and keeps the last one. */
function allOnline(notifier: ReturnType<typeof messagesService>['notifier'], ds: readonly DeviceKey[]) {
  const last = new Map<string, QueuedMessage>();
  for (const d of ds) {
    notifier.subscribe(d.accountId, d.deviceId, (m) => {
      if (m) last.set(d.accountId, m);
      return m !== undefined;
    });
  }
  return (d: DeviceKey) => last.get(d.accountId)!;
}

const direct = (deviceId = 1) => ({ messages: [{ destinationDeviceId: deviceId, destinationRegistrationId: REGISTRATION_ID, content: Buffer.alloc(8, 1).toString('base64') }], timestamp: 1 });

describe('MessagesService: a queue read right after a release', () => {
  test('fetch and lastQueuedId see the released envelope\'s row before the turn ends', () => {
    const b = sqliteBackend();
    const { service, notifier } = messagesService(b);
    const members = devices(b, 2);
    const [a, c] = members as [DeviceKey, DeviceKey];
    const pushed = allOnline(notifier, members);
    service.sendToMany(groupSend(members));
    expect(envelopeRows(b)).toBe(0);
    const live = pushed(a);
    service.release(live.live!);
    expect(service.lastQueuedId(a)).toBe(live.id);
    const [again] = service.fetch(a, 0, 10);
    expect([again?.id, again?.envelope.guid, again?.envelope.content]).toEqual([live.id, live.envelope.guid, live.envelope.content]);
    expect(service.fetch(c, 0, 10)).toEqual([]); // still live on c's connection
  });
});

describe('MessagesService.flushAcknowledgements', () => {
  test('an answer to an envelope released in the same turn deletes the row just written; the send leaves nothing behind', async () => {
    const b = sqliteBackend();
    const { service, notifier } = messagesService(b);
    const members = devices(b, 2);
    const [a, c] = members as [DeviceKey, DeviceKey];
    const pushed = allOnline(notifier, members);
    service.sendToMany(groupSend(members));
    const m = pushed(a);
    service.release(m.live!); // an error answer first
    service.acknowledgeSoon(a, m.id, m.live); // then a late 2xx: the envelope is a row by now
    service.acknowledgeSoon(c, pushed(c).id, pushed(c).live);
    await nextTurn();
    expect(envelopeRows(b)).toBe(0);
    expect(service.fetch(a, 0, 10)).toEqual([]);
    expect(b.messages.pendingFanouts()).toEqual([]);
  });

  test('the acknowledgements of one turn cost one relaxed commit, however many', async () => {
    const b = sqliteBackend();
    const { transaction, state } = instrumented(b.transaction);
    const { service } = messagesService(b, { transaction });
    const members = devices(b, 50);
    service.sendToMany(groupSend(members)); // nobody online: 50 rows
    expect(envelopeRows(b)).toBe(50);
    const before = { ...state };
    for (const d of members) service.acknowledgeSoon(d, service.fetch(d, 0, 1)[0]!.id);
    expect(envelopeRows(b)).toBe(50);
    await nextTurn();
    expect(envelopeRows(b)).toBe(0);
    expect([state.durable - before.durable, state.relaxed - before.relaxed]).toEqual([0, 1]);
  });

  test('a failed batch keeps its released rows and pending-row removals for the next one; its acknowledgements are delivered again', () => {
    const b = sqliteBackend();
    const { transaction, state } = instrumented(b.transaction);
    const { service, notifier } = messagesService(b, { transaction });
    const [a, c, offline] = devices(b, 3) as [DeviceKey, DeviceKey, DeviceKey];
    const pushed = allOnline(notifier, [a, c]);
    service.sendToMany(groupSend([a, c, offline]));
    const [queued] = service.fetch(offline, 0, 10);
    state.failRelaxed = true;
    service.acknowledgeSoon(offline, queued!.id);
    service.release(pushed(a).live!);
    service.acknowledgeSoon(c, pushed(c).id, pushed(c).live);
    service.flushAcknowledgements();
    expect(envelopeRows(b)).toBe(1);
    state.failRelaxed = false;
    service.flushAcknowledgements();
    expect(service.fetch(a, 0, 10).map((m) => m.id)).toEqual([pushed(a).id]);
    expect(service.fetch(offline, 0, 10).map((m) => m.id)).toEqual([queued!.id]);
    expect(b.messages.pendingFanouts()).toEqual([]);
  });
});

describe('MessagesService: rows owed after a failed write', () => {
  test('go in first with the next write, so a 1:1 envelope stored after them queues after them', () => {
    const b = sqliteBackend();
    const { transaction, state } = instrumented(b.transaction);
    const { service } = messagesService(b, { transaction });
    const [a, sender] = devices(b, 2) as [DeviceKey, DeviceKey];
    state.failRelaxed = true;
    expect(service.sendToMany(groupSend([a]))).toBe(1);
    expect(envelopeRows(b)).toBe(0);
    state.failRelaxed = false;
    service.send(sender, a.accountId, direct());
    const queue = service.fetch(a, 0, 10);
    expect(queue).toHaveLength(2);
    expect(queue[0]!.id).toBeLessThan(queue[1]!.id);
    expect(queue[0]!.envelope.content).toBe(Buffer.concat([groupSend([a]).recipients[0]!.prefix, groupSend([a]).shared]).toString('base64'));
    expect(b.messages.pendingFanouts()).toEqual([]);
  });

  test('go in with the expiry sweep when nothing else is written', () => {
    const b = sqliteBackend();
    const { transaction, state } = instrumented(b.transaction);
    const { service } = messagesService(b, { transaction });
    const [a] = devices(b, 1) as [DeviceKey];
    state.failRelaxed = true;
    service.sendToMany(groupSend([a]));
    state.failRelaxed = false;
    expect(service.deleteExpired()).toBe(0);
    expect(envelopeRows(b)).toBe(1);
  });
});
