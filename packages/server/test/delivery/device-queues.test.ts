import type { ProtocolError, SendMessagesRequest } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { DeviceQueues } from '../../src/services/delivery/device-queues.js';
import type { StorageBackend } from '../../src/ports/storage.js';
import type { DeviceKey } from '../../src/ports/prekeys.js';
import { devices, envelopeRows, groupContent, groupSend, REGISTRATION_ID, sqliteBackend, TTL_MS } from './fixtures.js';

const NOW = Date.UTC(2026, 0, 1, 12, 30, 45, 123);
const MINUTE = Date.UTC(2026, 0, 1, 12, 30);

function queuesOn(backend: StorageBackend, maxPerDevice = 100) {
  return new DeviceQueues({ accounts: backend.accounts, messages: backend.messages, ttlMs: TTL_MS, maxPerDevice });
}

const direct = (to: { deviceId: number; registrationId?: number }[]): SendMessagesRequest => ({
  messages: to.map((d, i) => ({ destinationDeviceId: d.deviceId, destinationRegistrationId: d.registrationId ?? REGISTRATION_ID, content: Buffer.alloc(8, i).toString('base64') })),
  timestamp: NOW,
});

/** Two registered devices. */
const pair = (b: StorageBackend) => devices(b, 2) as [DeviceKey, DeviceKey];

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as ProtocolError).code;
  }
  return undefined;
};

describe('DeviceQueues: a 1:1 send', () => {
  test('stores one envelope per device at a minute-rounded time, as a fetch returns it', () => {
    const b = sqliteBackend();
    const queues = queuesOn(b);
    const [sender, to] = pair(b);
    const req = direct([{ deviceId: 1 }]);
    const contents = [new Uint8Array(Buffer.alloc(8, 0))];
    const [stored] = b.transaction(() => queues.storeDirect(sender, to.accountId, req, contents, NOW));
    expect(stored?.envelope.serverTimestamp).toBe(MINUTE);
    expect(queues.fetch(to, 0, 10, NOW)).toEqual([stored]);
    expect(queues.fetch(to, 0, 10, MINUTE + TTL_MS)).toEqual([]); // expired from the rounded time
  });

  test('404 for an unknown account, 409 for a wrong device set, 410 for an old registration id; a device sending to its own account skips itself', () => {
    const b = sqliteBackend();
    const queues = queuesOn(b);
    const [sender, to] = pair(b);
    const one = [new Uint8Array(8)];
    expect(code(() => b.transaction(() => queues.storeDirect(sender, crypto.randomUUID(), direct([{ deviceId: 1 }]), one, NOW)))).toBe('NOT_FOUND');
    expect(code(() => b.transaction(() => queues.storeDirect(sender, to.accountId, direct([{ deviceId: 2 }]), one, NOW)))).toBe('MISMATCHED_DEVICES');
    expect(code(() => b.transaction(() => queues.storeDirect(sender, to.accountId, direct([{ deviceId: 1, registrationId: REGISTRATION_ID + 1 }]), one, NOW)))).toBe('STALE_DEVICES');
    // The sender's account has only the sending device: addressing it is an extra device.
    expect(code(() => b.transaction(() => queues.storeDirect(sender, sender.accountId, direct([{ deviceId: 1 }]), one, NOW)))).toBe('MISMATCHED_DEVICES');
    expect(queues.lastId(to)).toBe(0);
  });

  test('a full queue drops its oldest envelopes and counts them for the device once', () => {
    const b = sqliteBackend();
    const queues = queuesOn(b, 2);
    const [sender, to] = pair(b);
    const ids = [0, 1, 2, 3].map(() => b.transaction(() => queues.storeDirect(sender, to.accountId, direct([{ deviceId: 1 }]), [new Uint8Array(8)], NOW))[0]!.id);
    expect(queues.fetch(to, 0, 10, NOW).map((m) => m.id)).toEqual(ids.slice(2));
    expect(b.transaction(() => queues.takeDropped(to))).toBe(2);
    expect(b.transaction(() => queues.takeDropped(to))).toBe(0);
  });
});

describe('DeviceQueues: a group send', () => {
  test('its rows take the queue positions reserved at commit, in recipient order, whatever was stored in between', () => {
    const b = sqliteBackend();
    const queues = queuesOn(b);
    const members = devices(b, 3);
    const message = groupSend(members);
    const fanout = b.transaction(() => queues.commitGroupSend(message, { now: NOW, receivedAt: MINUTE, expiresAt: MINUTE + TTL_MS }));
    // A 1:1 envelope stored after the commit queues after the reserved positions.
    const [later] = b.transaction(() => queues.storeDirect(members[1]!, members[0]!.accountId, direct([{ deviceId: 1 }]), [new Uint8Array(8)], NOW));
    expect(later!.id).toBeGreaterThan(fanout.firstId + 2);
    b.transaction(() => queues.writeGroupRows(fanout, [2, 0]));
    const first = queues.fetch(members[0]!, 0, 10, NOW);
    expect(first.map((m) => m.id)).toEqual([fanout.firstId, later!.id]);
    expect(first[0]!.envelope.content).toBe(groupContent(message, 0));
    expect(queues.fetch(members[2]!, 0, 10, NOW).map((m) => [m.id, m.envelope.content])).toEqual([[fanout.firstId + 2, groupContent(message, 2)]]);
    expect(queues.lastId(members[1]!)).toBe(0);
    // All rows (a send rebuilt after a crash): the ones already written are skipped, the missing one is written.
    b.transaction(() => queues.writeGroupRows(fanout, undefined));
    expect(queues.fetch(members[1]!, 0, 10, NOW).map((m) => m.id)).toEqual([fanout.firstId + 1]);
    expect(queues.fetch(members[0]!, 0, 10, NOW)).toHaveLength(2);
  });

  test('is refused whole (409/410) before anything is stored or reserved', () => {
    const b = sqliteBackend();
    const queues = queuesOn(b);
    const members = devices(b, 2);
    const stale = groupSend(members);
    stale.recipients[1]!.devices[0]!.registrationId += 1;
    const at = { now: NOW, receivedAt: MINUTE, expiresAt: MINUTE + TTL_MS };
    expect(code(() => b.transaction(() => queues.commitGroupSend(stale, at)))).toBe('STALE_DEVICES');
    expect(queues.pendingGroupSends()).toEqual([]);
    const fanout = b.transaction(() => queues.commitGroupSend(groupSend(members), at));
    expect(queues.pendingGroupSends().map((p) => p.firstId)).toEqual([fanout.firstId]);
  });

  test('a row written into a full queue trims its oldest envelope and counts it', () => {
    const b = sqliteBackend();
    const queues = queuesOn(b, 1);
    const [member, other] = pair(b);
    const [old] = b.transaction(() => queues.storeDirect(other, member.accountId, direct([{ deviceId: 1 }]), [new Uint8Array(8)], NOW));
    const fanout = b.transaction(() => queues.commitGroupSend(groupSend([member, other]), { now: NOW, receivedAt: MINUTE, expiresAt: MINUTE + TTL_MS }));
    b.transaction(() => queues.writeGroupRows(fanout, [0, 1]));
    expect(queues.fetch(member, 0, 10, NOW).map((m) => m.id)).toEqual([fanout.firstId]);
    expect(queues.fetch(member, 0, 10, NOW).map((m) => m.id)).not.toContain(old!.id);
    expect(b.transaction(() => queues.takeDropped(member))).toBe(1);
    expect(b.transaction(() => queues.takeDropped(other))).toBe(0);
  });

  test('finishing it drops the pending row, and the shared part only once no row uses it', () => {
    const b = sqliteBackend();
    const queues = queuesOn(b);
    const members = devices(b, 2);
    const fanout = b.transaction(() => queues.commitGroupSend(groupSend(members), { now: NOW, receivedAt: MINUTE, expiresAt: MINUTE + TTL_MS }));
    b.transaction(() => {
      queues.writeGroupRows(fanout, [1]);
      queues.finishGroupSend(fanout);
    });
    expect(queues.pendingGroupSends()).toEqual([]);
    expect(envelopeRows(b)).toBe(1);
    // The row still reads whole: its shared part stayed.
    const [row] = queues.fetch(members[1]!, 0, 10, NOW);
    expect(row!.envelope.content).toBe(groupContent(groupSend(members), 1));
    expect(b.transaction(() => queues.deleteAcknowledged([{ ...members[1]!, id: row!.id }]))).toBe(1);
    expect(b.transaction(() => queues.deleteAcknowledged([{ ...members[1]!, id: row!.id }]))).toBe(0);
  });
});
