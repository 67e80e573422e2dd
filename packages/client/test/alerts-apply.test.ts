import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ALERT_LIMITS, LIMITS, type GroupMessageBody } from '@aviso/protocol';
import { applyGroupBody, boundedTime, relayTimeOf, type Applied, type ApplyInput } from '../src/alerts/apply.js';
import { emptyGroupState } from '../src/crypto/group-chain.js';
import type { GroupState } from '../src/stores/group-state.js';
import { MemoryStore } from '../src/stores/index.js';

/**
 * The pure rules of the alert book (apply.ts) for the two red-team findings of issue 11: a
 * retraction or all-clear that arrives before its alert (kept as a tombstone, judged when the alert
 * arrives), and a sender whose clock runs far ahead (its times bounded by the relay's timestamp).
 */

const GROUP = 'cd'.repeat(32);
const scoped = { groupId: GROUP, groupVersion: 3, groupHeadHash: Buffer.alloc(32, 2).toString('base64') };
const HOUR = 3600_000;
const MAX_LIFETIME = ALERT_LIMITS.maxExpiresInSeconds * 1000;
/** The relay's (minute-rounded) timestamp of the envelopes below. */
const RELAY = Date.UTC(2026, 11, 2, 7, 0);
const YEAR_2100 = Date.UTC(2100, 0, 1);

const admin = randomUUID();
const sender = randomUUID();
const other = randomUUID();

function state(roles: { admin?: 'admin' | 'member'; other?: 'admin' | 'member' } = {}): GroupState {
  return {
    ...emptyGroupState(GROUP),
    version: 3,
    headHash: scoped.groupHeadHash,
    members: {
      pa: { accountId: admin, role: roles.admin ?? 'admin', displayName: '', identityKey: 'BQ==' },
      ps: { accountId: sender, role: 'member', displayName: '', identityKey: 'BQ==' },
      po: { accountId: other, role: roles.other ?? 'member', displayName: '', identityKey: 'BQ==' },
    },
  };
}

function alertBody(id: string, at: number, extra: Partial<Extract<GroupMessageBody, { type: 'alert' }>> = {}): GroupMessageBody {
  return { type: 'alert', ...scoped, id, kind: 'raid', severity: 'critical', title: 'vans at the car wash', observedAt: at, expiresAt: at + 4 * HOUR, requestAck: false, ...extra };
}

/** Applies a body as received and commits what it changes; returns the outcome. */
function receive(store: MemoryStore, input: Omit<ApplyInput, 'store' | 'state' | 'relayTime'> & { state?: GroupState; relayTime?: number }): Extract<Applied, { ok: true }> {
  const out = applyGroupBody({ store, state: input.state ?? state(), relayTime: input.relayTime ?? RELAY, ...input });
  if (!out.ok) throw new Error(`expected the message to be taken: ${out.message}`);
  store.commit(out.changes);
  return out;
}

describe('a retraction or all-clear that arrives before its alert', () => {
  it("an admin's all-clear that comes first is kept, and the alert shows all-clear the moment it arrives", () => {
    const store = new MemoryStore();
    const id = randomUUID();
    const early = receive(store, { sender: admin, senderDevice: 2, sentAt: RELAY + 2000, body: { type: 'all-clear', ...scoped, alertId: id } });
    expect(early.events).toEqual([]); // nothing to show yet: there is no alert
    expect(store.listAlertTombstones(GROUP, id)).toHaveLength(1);

    const late = receive(store, { sender, senderDevice: 1, sentAt: RELAY + 1000, body: alertBody(id, RELAY + 1000) });
    expect(store.getAlert(GROUP, id)?.allClear).toEqual({ by: admin, at: RELAY + 2000 });
    expect(late.events.map((e) => e.type)).toEqual(['alert', 'all-clear']);
    expect(late.events[0]).toMatchObject({ type: 'alert', payload: { id, allClear: true, retracted: false } });
    expect(late.events[1]).toMatchObject({ payload: { from: admin, fromDevice: 2, alertId: id, sentAt: RELAY + 2000 } });
    expect(store.listAlertTombstones(GROUP, id)).toEqual([]); // used up
  });

  it("the sender's own retraction that comes first is applied with its reason", () => {
    const store = new MemoryStore();
    const id = randomUUID();
    receive(store, { sender, senderDevice: 1, sentAt: RELAY + 3000, body: { type: 'retract', ...scoped, alertId: id, reason: 'it was a delivery van' } });
    const late = receive(store, { sender, senderDevice: 1, sentAt: RELAY + 1000, body: alertBody(id, RELAY + 1000) });
    expect(late.events[0]).toMatchObject({ type: 'alert', payload: { retracted: true, reason: 'it was a delivery van' } });
    expect(late.events[1]).toMatchObject({ type: 'retract', payload: { from: sender, reason: 'it was a delivery van' } });
    expect(store.getAlert(GROUP, id)?.retracted).toEqual({ reason: 'it was a delivery van', by: sender, at: RELAY + 3000 });
  });

  it('a member who may not end the alert gains nothing by getting there first', () => {
    const store = new MemoryStore();
    const id = randomUUID();
    receive(store, { sender: other, senderDevice: 1, sentAt: RELAY + 2000, body: { type: 'retract', ...scoped, alertId: id, reason: 'ignore this' } });
    receive(store, { sender: other, senderDevice: 1, sentAt: RELAY + 2001, body: { type: 'all-clear', ...scoped, alertId: id } });
    const late = receive(store, { sender, senderDevice: 1, sentAt: RELAY + 1000, body: alertBody(id, RELAY + 1000) });
    expect(late.events.map((e) => e.type)).toEqual(['alert']);
    expect(store.getAlert(GROUP, id)?.retracted).toBeUndefined();
    expect(store.getAlert(GROUP, id)?.allClear).toBeUndefined();
    expect(store.listAlertTombstones(GROUP, id)).toEqual([]); // judged once, then gone
  });

  it('who may end an alert is judged when the alert arrives, by the verified state of then', () => {
    const store = new MemoryStore();
    const demoted = randomUUID();
    const promoted = randomUUID();
    // `admin` was an admin when its all-clear came in, and is not any more when the alert arrives.
    receive(store, { state: state(), sender: admin, senderDevice: 1, sentAt: RELAY, body: { type: 'all-clear', ...scoped, alertId: demoted } });
    receive(store, { state: state({ admin: 'member' }), sender, senderDevice: 1, sentAt: RELAY, body: alertBody(demoted, RELAY) });
    expect(store.getAlert(GROUP, demoted)?.allClear).toBeUndefined();
    // `other` was a plain member when its retraction came in, and is an admin when the alert arrives.
    receive(store, { state: state(), sender: other, senderDevice: 1, sentAt: RELAY, body: { type: 'retract', ...scoped, alertId: promoted, reason: 'handled' } });
    receive(store, { state: state({ other: 'admin' }), sender, senderDevice: 1, sentAt: RELAY, body: alertBody(promoted, RELAY) });
    expect(store.getAlert(GROUP, promoted)?.retracted).toMatchObject({ by: other, reason: 'handled' });
  });

  it('a tombstone is kept as long as an alert could live, then forgotten', () => {
    const store = new MemoryStore();
    const id = randomUUID();
    const out = receive(store, { sender: admin, senderDevice: 1, sentAt: RELAY, body: { type: 'all-clear', ...scoped, alertId: id } });
    expect(out.changes.alertTombstones?.[0]?.expiresAt).toBe(RELAY + MAX_LIFETIME);
    store.commit({ deleteAlertsExpiredBefore: RELAY + MAX_LIFETIME });
    expect(store.listAlertTombstones(GROUP, id)).toHaveLength(1);
    store.commit({ deleteAlertsExpiredBefore: RELAY + MAX_LIFETIME + 1 });
    expect(store.listAlertTombstones(GROUP, id)).toEqual([]);
  });

  it('a redelivered alert keeps the retraction it already has', () => {
    const store = new MemoryStore();
    const id = randomUUID();
    receive(store, { sender, senderDevice: 1, sentAt: RELAY, body: alertBody(id, RELAY) });
    receive(store, { sender: admin, senderDevice: 1, sentAt: RELAY + 1, body: { type: 'retract', ...scoped, alertId: id, reason: 'false alarm' } });
    receive(store, { sender, senderDevice: 1, sentAt: RELAY, body: alertBody(id, RELAY) });
    expect(store.getAlert(GROUP, id)?.retracted).toMatchObject({ reason: 'false alarm' });
  });
});

describe("a sender's clock does not set an alert's lifetime", () => {
  it('an alert from a clock that says 2100 gets the relay time and at most the longest lifetime from it', () => {
    const store = new MemoryStore();
    const id = randomUUID();
    const out = receive(store, { sender: other, senderDevice: 1, sentAt: YEAR_2100, body: alertBody(id, YEAR_2100, { expiresAt: YEAR_2100 + HOUR }) });
    const stored = store.getAlert(GROUP, id)!;
    expect(stored.sentAt).toBe(RELAY);
    expect(stored.observedAt).toBe(RELAY);
    expect(stored.expiresAt).toBe(RELAY + MAX_LIFETIME);
    expect(out.events[0]).toMatchObject({ payload: { sentAt: RELAY, observedAt: RELAY, expiresAt: RELAY + MAX_LIFETIME } });
  });

  it('a sender within the allowed skew keeps its own times; its lifetime is still bounded by the relay time', () => {
    const store = new MemoryStore();
    const id = randomUUID();
    const ahead = RELAY + LIMITS.maxClockSkewMs; // exactly at the bound: taken as is
    receive(store, { sender, senderDevice: 1, sentAt: ahead, body: alertBody(id, ahead - 60_000, { expiresAt: ahead + MAX_LIFETIME }) });
    expect(store.getAlert(GROUP, id)).toMatchObject({ sentAt: ahead, observedAt: ahead - 60_000, expiresAt: RELAY + MAX_LIFETIME });
    expect(boundedTime(ahead + 1, RELAY)).toBe(RELAY);
  });

  it('answers and endings from a clock far ahead carry the relay time too', () => {
    const store = new MemoryStore();
    const id = randomUUID();
    receive(store, { sender, senderDevice: 1, sentAt: RELAY, body: alertBody(id, RELAY) });
    const ack = receive(store, { sender: other, senderDevice: 1, sentAt: YEAR_2100, body: { type: 'ack', ...scoped, alertId: id, status: 'on-my-way' } });
    expect(ack.events[0]).toMatchObject({ payload: { sentAt: RELAY } });
    expect(store.listAlertResponses(GROUP, id)).toMatchObject([{ accountId: other, sentAt: RELAY }]);
    const early = receive(store, { sender: admin, senderDevice: 1, sentAt: YEAR_2100, body: { type: 'all-clear', ...scoped, alertId: randomUUID() } });
    expect(early.changes.alertTombstones?.[0]).toMatchObject({ at: RELAY, expiresAt: RELAY + MAX_LIFETIME });
  });

  it("the relay's timestamp counts for no later than the receiver's clock plus the skew", () => {
    const now = RELAY;
    expect(relayTimeOf(now - 60_000, now)).toBe(now - 60_000);
    expect(relayTimeOf(YEAR_2100, now)).toBe(now + LIMITS.maxClockSkewMs);
  });
});
