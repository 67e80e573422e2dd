import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import { encodeContent, type Content } from '@aviso/protocol';
import { applyGroupBody } from '../src/alerts/apply.js';
import { emptyGroupState } from '../src/crypto/group-chain.js';
import type { GroupState } from '../src/stores/group-state.js';
import { buildSessions, EnvelopeRejectedError, MissingSenderKeyError, openSealed, sealContent } from '../src/crypto/index.js';
import { acceptDistribution, createDistribution, encryptForGroup } from '../src/crypto/sender-keys.js';
import { MemoryStore } from '../src/stores/index.js';
import { Party, TestAuthority } from './helpers.js';

/** Sender keys and sealed sender v2 with in-memory parties and real libsignal; the "relay" is libsignal's own SSv2 parser. */

const GROUP = 'ab'.repeat(32);
const scoped = { groupId: GROUP, groupVersion: 3, groupHeadHash: Buffer.alloc(32, 1).toString('base64') };
const alertContent = (title: string, sentAt = Date.now()): Content => ({
  v: 1,
  sentAt,
  body: { type: 'alert', ...scoped, id: randomUUID(), kind: 'raid', severity: 'critical', title, observedAt: sentAt, expiresAt: sentAt + 3600_000, requestAck: true },
});

async function session(from: Party, to: Party): Promise<void> {
  const { zone, stores } = from.zone();
  await buildSessions(stores, from.address, to.accountId, to.bundle());
  zone.commit();
}

async function open(to: Party, ca: TestAuthority, ciphertext: Uint8Array, trustRoot = ca) {
  const { zone, stores } = to.zone();
  const opened = await openSealed({ ciphertext, serverTimestamp: Date.now(), trustRoot: trustRoot.trustRoot.getPublicKey(), localAccountId: to.accountId, localDeviceId: 1, stores });
  zone.commit();
  return opened;
}

async function rejection(p: Promise<unknown>): Promise<EnvelopeRejectedError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(EnvelopeRejectedError);
  return err as EnvelopeRejectedError;
}

/** Distributes `sender`'s key for `distributionId` to each receiver through a real 1:1 sealed message. */
async function distribute(sender: Party, ca: TestAuthority, distributionId: string, receivers: Party[]): Promise<void> {
  const { zone, stores } = sender.zone();
  const skdm = await createDistribution(sender.address, distributionId, stores);
  zone.commit();
  for (const r of receivers) {
    if (sender.store.getSessionDevices(r.accountId).length === 0) await session(sender, r);
    const s = sender.zone();
    const content: Content = { v: 1, sentAt: Date.now(), body: { type: 'skdm', groupId: GROUP, distributionId, skdm: Buffer.from(skdm).toString('base64') } };
    const sealed = await sealContent(content, r.address, ca.issue(sender), s.stores);
    s.zone.commit();
    const rz = r.zone();
    const opened = await openSealed({ ciphertext: sealed.ciphertext, serverTimestamp: Date.now(), trustRoot: ca.trustRoot.getPublicKey(), localAccountId: r.accountId, localDeviceId: 1, stores: rz.stores });
    expect(opened.via).toBe('session');
    const body = opened.content.body;
    if (body.type !== 'skdm') throw new Error('expected an skdm');
    expect(await acceptDistribution(sender.address, new Uint8Array(Buffer.from(body.skdm, 'base64')), rz.stores)).toBe(distributionId);
    rz.zone.commit();
  }
}

/** groupEncrypt + SSv2 for `recipients`, then the relay's split: per-recipient payloads by account. */
async function groupSend(sender: Party, ca: TestAuthority, distributionId: string, recipients: Party[], content: Content, cert = ca.issue(sender)) {
  for (const r of recipients) if (sender.store.getSessionDevices(r.accountId).length === 0) await session(sender, r);
  const { zone, stores } = sender.zone();
  const body = await encryptForGroup({ me: sender.address, distributionId, groupId: GROUP, certificate: cert, padded: encodeContent(content), recipients: recipients.map((r) => r.address), stores });
  zone.commit();
  const msg = new SealedSenderMultiRecipientMessage(body);
  const byAccount = msg.recipientsByServiceIdString();
  return { body, forRecipient: (p: Party) => msg.messageForRecipient(byAccount[p.accountId]!), accounts: Object.keys(byAccount) };
}

describe('sender keys and sealed sender v2 (no relay)', () => {
  it('SKDM over 1:1, one SSv2 upload, and each recipient opens its part through the one receive path', async () => {
    const ca = new TestAuthority();
    const [alice, bob, carol] = [new Party(), new Party(), new Party()];
    const dist = randomUUID();
    await distribute(alice, ca, dist, [bob, carol]);
    const content = alertContent('agents at the car wash');
    const sent = await groupSend(alice, ca, dist, [bob, carol], content);
    expect(sent.accounts.sort()).toEqual([bob.accountId, carol.accountId].sort());
    for (const r of [bob, carol]) {
      const opened = await open(r, ca, sent.forRecipient(r));
      expect(opened).toMatchObject({ sender: alice.accountId, senderDevice: 1, via: 'sender-key', envelopeGroupId: GROUP });
      expect(opened.content).toEqual(content);
    }
    // The payload is padded to a bucket: a short alert and a longer one upload the same size.
    const longer = await groupSend(alice, ca, dist, [bob, carol], alertContent('x'.repeat(120)));
    expect(longer.body.length).toBe(sent.body.length);
  });

  it('rejects a tampered SSv2 payload and a replay, and keeps the sender key usable', async () => {
    const ca = new TestAuthority();
    const [alice, bob] = [new Party(), new Party()];
    const dist = randomUUID();
    await distribute(alice, ca, dist, [bob]);
    const sent = await groupSend(alice, ca, dist, [bob], alertContent('one'));
    const payload = sent.forRecipient(bob);
    for (const at of [payload.length - 5, Math.floor(payload.length / 2), 40]) {
      const tampered = new Uint8Array(payload);
      tampered[at]! ^= 0x01;
      expect((await rejection(open(bob, ca, tampered))).reason).toBe('decrypt-failed');
    }
    expect((await open(bob, ca, payload)).content.body).toMatchObject({ title: 'one' });
    // The same bytes again: the sender key ratchet refuses the old counter.
    expect((await rejection(open(bob, ca, payload))).reason).toBe('duplicate');
    const next = await groupSend(alice, ca, dist, [bob], alertContent('two'));
    expect((await open(bob, ca, next.forRecipient(bob))).content.body).toMatchObject({ title: 'two' });
  });

  it('refuses a certificate from a foreign trust root on the group path', async () => {
    const ca = new TestAuthority();
    const foreign = new TestAuthority();
    const [alice, bob] = [new Party(), new Party()];
    const dist = randomUUID();
    await distribute(alice, ca, dist, [bob]);
    const sent = await groupSend(alice, ca, dist, [bob], alertContent('forged'), foreign.issue(alice));
    expect((await rejection(open(bob, ca, sent.forRecipient(bob)))).reason).toBe('untrusted-certificate');
    // The refusal touched nothing: bob still holds alice's key as distributed.
    expect(bob.store.getSenderKey(`${alice.accountId}.1`, dist)).toBeDefined();
  });

  it('after the reset a removed member cannot decrypt, even given the outer layer', async () => {
    const ca = new TestAuthority();
    const [alice, bob, carol] = [new Party(), new Party(), new Party()];
    const oldDist = randomUUID();
    await distribute(alice, ca, oldDist, [bob, carol]);
    const before = await groupSend(alice, ca, oldDist, [bob, carol], alertContent('before'));
    expect((await open(carol, ca, before.forRecipient(carol))).content.body).toMatchObject({ title: 'before' });

    // Carol is removed: a new distribution id and key, handed to bob only.
    const newDist = randomUUID();
    await distribute(alice, ca, newDist, [bob]);
    const after = await groupSend(alice, ca, newDist, [bob], alertContent('after'));
    expect(after.accounts).toEqual([bob.accountId]);
    // What the relay could give her: bob's payload (not hers to open) ...
    expect((await rejection(open(carol, ca, after.forRecipient(bob)))).reason).toBe('decrypt-failed');
    // ... and even a payload sealed to her (a sender that wrongly kept her as a recipient) does not decrypt.
    const leaked = await groupSend(alice, ca, newDist, [bob, carol], alertContent('after, to carol too'));
    const err = await rejection(open(carol, ca, leaked.forRecipient(carol)));
    expect(err).toBeInstanceOf(MissingSenderKeyError);
    expect(err.reason).toBe('no-sender-key');
    expect((err as MissingSenderKeyError).distributionId).toBe(newDist);
    expect((await open(bob, ca, leaked.forRecipient(bob))).content.body).toMatchObject({ title: 'after, to carol too' });
  });

  it('a group message without a distributed key names what a resend request needs', async () => {
    const ca = new TestAuthority();
    const [alice, bob] = [new Party(), new Party()];
    const dist = randomUUID();
    const { zone, stores } = alice.zone();
    await createDistribution(alice.address, dist, stores); // never sent to bob
    zone.commit();
    const sent = await groupSend(alice, ca, dist, [bob], alertContent('no key'));
    const err = (await rejection(open(bob, ca, sent.forRecipient(bob)))) as MissingSenderKeyError;
    expect([err.sender, err.senderDevice, err.distributionId, err.groupId]).toEqual([alice.accountId, 1, dist, GROUP]);
  });
});

describe('group message rules', () => {
  const admin = randomUUID();
  const member = randomUUID();
  const other = randomUUID();
  const state = (announcementsOnly = false): GroupState => ({
    ...emptyGroupState(GROUP),
    version: 3,
    headHash: scoped.groupHeadHash,
    announcementsOnly,
    members: {
      pa: { accountId: admin, role: 'admin', displayName: '', identityKey: 'BQ==' },
      pm: { accountId: member, role: 'member', displayName: '', identityKey: 'BQ==' },
      po: { accountId: other, role: 'member', displayName: '', identityKey: 'BQ==' },
    },
  });
  const alertBody = (alertContent('x').body as Extract<Content['body'], { type: 'alert' }>);

  it('drops a non-member, and a member alert in an announcement-only group', () => {
    const store = new MemoryStore();
    const outsider = applyGroupBody({ store, state: state(), sender: randomUUID(), senderDevice: 1, sentAt: 1, relayTime: 1, body: alertBody });
    expect(outsider).toMatchObject({ ok: false, reason: 'not-a-member' });
    expect(applyGroupBody({ store, state: state(true), sender: member, senderDevice: 1, sentAt: 1, relayTime: 1, body: alertBody })).toMatchObject({ ok: false, reason: 'not-allowed' });
    expect(applyGroupBody({ store, state: state(true), sender: admin, senderDevice: 1, sentAt: 1, relayTime: 1, body: alertBody })).toMatchObject({ ok: true, events: [{ type: 'alert' }] });
    // Acks and text still flow from members in an announcement-only group.
    expect(applyGroupBody({ store, state: state(true), sender: member, senderDevice: 1, sentAt: 2, relayTime: 2, body: { type: 'ack', ...scoped, alertId: alertBody.id, status: 'seen' } })).toMatchObject({ ok: true });
  });

  it('retract and all-clear only from the alert sender or an admin; nobody overwrites an alert id', () => {
    const store = new MemoryStore();
    const put = applyGroupBody({ store, state: state(), sender: member, senderDevice: 1, sentAt: 10, relayTime: 10, body: alertBody });
    if (!put.ok) throw new Error('expected ok');
    store.commit(put.changes);
    const retract = { type: 'retract' as const, ...scoped, alertId: alertBody.id, reason: 'wrong' };
    const clear = { type: 'all-clear' as const, ...scoped, alertId: alertBody.id };
    expect(applyGroupBody({ store, state: state(), sender: other, senderDevice: 1, sentAt: 11, relayTime: 11, body: retract })).toMatchObject({ ok: false, reason: 'not-allowed' });
    expect(applyGroupBody({ store, state: state(), sender: other, senderDevice: 1, sentAt: 11, relayTime: 11, body: clear })).toMatchObject({ ok: false, reason: 'not-allowed' });
    // Someone else reusing the id is refused.
    expect(applyGroupBody({ store, state: state(), sender: other, senderDevice: 1, sentAt: 12, relayTime: 12, body: { ...alertBody, title: 'hijack' } })).toMatchObject({ ok: false, reason: 'not-allowed' });
    const own = applyGroupBody({ store, state: state(), sender: member, senderDevice: 1, sentAt: 13, relayTime: 13, body: clear });
    expect(own).toMatchObject({ ok: true, events: [{ type: 'all-clear' }] });
    const byAdmin = applyGroupBody({ store, state: state(), sender: admin, senderDevice: 1, sentAt: 14, relayTime: 14, body: retract });
    if (!byAdmin.ok) throw new Error('expected ok');
    store.commit(byAdmin.changes);
    expect(store.getAlert(GROUP, alertBody.id)?.retracted).toEqual({ reason: 'wrong', by: admin, at: 14 });
    // Without the alert, a retract is kept for later (judged when the alert arrives) and shows nothing yet.
    const unknown = { ...retract, alertId: randomUUID() };
    expect(applyGroupBody({ store, state: state(), sender: member, senderDevice: 1, sentAt: 15, relayTime: 15, body: unknown })).toMatchObject({ ok: true, events: [], changes: { alertTombstones: [{ by: member }] } });
    expect(applyGroupBody({ store, state: state(), sender: admin, senderDevice: 1, sentAt: 15, relayTime: 15, body: unknown })).toMatchObject({ ok: true, events: [], changes: { alertTombstones: [{ by: admin }] } });
  });

  it('caps how long a sender can keep an alert alive', () => {
    const store = new MemoryStore();
    const out = applyGroupBody({ store, state: state(), sender: member, senderDevice: 1, sentAt: 1000, relayTime: 1000, body: { ...alertBody, expiresAt: 1000 + 365 * 86_400_000 } });
    if (!out.ok) throw new Error('expected ok');
    expect(out.changes.alerts?.[0]?.expiresAt).toBe(1000 + 7 * 86_400_000);
  });
});
