import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import { encodeContent, pad, ProtocolError, type Content } from '@aviso/protocol';
import { applyGroupBody } from '../src/alerts/apply.js';
import { emptyGroupState } from '../src/crypto/group-chain.js';
import type { GroupState } from '../src/stores/group-state.js';
import { buildSessions, openSealed, sealContent, sealPadded } from '../src/crypto/index.js';
import { acceptDistribution, createDistribution, encryptForGroup } from '../src/crypto/sender-keys.js';
import { MemoryStore } from '../src/stores/index.js';
import { Party, TestAuthority } from './helpers.js';

/**
 * Alert kinds across versions (docs/alerts.md "Adding an alert kind"): a newer build sends a kind
 * this build does not know; this build takes the alert, shows it as `other` and keeps the rest.
 */

const GROUP = 'ef'.repeat(32);
const scoped = { groupId: GROUP, groupVersion: 2, groupHeadHash: Buffer.alloc(32, 9).toString('base64') };

/** What a newer build puts inside the encryption: this build's encodeContent would refuse the kind, so the bytes are made by hand. */
function newerBuildAlert(kind: string, sentAt: number) {
  const json = {
    v: 1,
    sentAt,
    body: { type: 'alert', ...scoped, id: randomUUID(), kind, severity: 'critical', title: 'river over the levee on 3rd', body: 'move cars uphill', place: { text: '3rd and Pine', lat: 34.0512, lon: -118.2437 }, observedAt: sentAt, expiresAt: sentAt + 3600_000, requestAck: true, addedByNewerBuild: { any: 'field' } },
  };
  return { json, padded: pad(new TextEncoder().encode(JSON.stringify(json)), 1024) };
}

function groupOf(sender: Party, receiver: Party): GroupState {
  return {
    ...emptyGroupState(GROUP),
    version: 2,
    headHash: scoped.groupHeadHash,
    members: {
      ps: { accountId: sender.accountId, role: 'member', displayName: '', identityKey: 'BQ==' },
      pr: { accountId: receiver.accountId, role: 'member', displayName: '', identityKey: 'BQ==' },
    },
  };
}

async function session(from: Party, to: Party): Promise<void> {
  const { zone, stores } = from.zone();
  await buildSessions(stores, from.address, to.accountId, to.bundle());
  zone.commit();
}

describe('an alert of a kind this build does not know', () => {
  it('sent by a newer build with its sender key, is received, shown as other, and keeps everything else', async () => {
    const ca = new TestAuthority();
    const [newer, older] = [new Party(), new Party()];
    const distributionId = randomUUID();
    await session(newer, older);

    // The sender key reaches the older build 1:1, as in any group.
    const s = newer.zone();
    const skdm = await createDistribution(newer.address, distributionId, s.stores);
    const skdmContent: Content = { v: 1, sentAt: Date.now(), body: { type: 'skdm', groupId: GROUP, distributionId, skdm: Buffer.from(skdm).toString('base64') } };
    const sealedSkdm = await sealContent(skdmContent, older.address, ca.issue(newer), s.stores);
    s.zone.commit();
    const r = older.zone();
    const openedSkdm = await openSealed({ ciphertext: sealedSkdm.ciphertext, serverTimestamp: Date.now(), trustRoot: ca.trustRoot.getPublicKey(), localAccountId: older.accountId, localDeviceId: 1, stores: r.stores });
    if (openedSkdm.content.body.type !== 'skdm') throw new Error('expected an skdm');
    await acceptDistribution(newer.address, new Uint8Array(Buffer.from(openedSkdm.content.body.skdm, 'base64')), r.stores);
    r.zone.commit();

    const sentAt = Date.now();
    const { json, padded } = newerBuildAlert('flood', sentAt);
    const g = newer.zone();
    const upload = await encryptForGroup({ me: newer.address, distributionId, groupId: GROUP, certificate: ca.issue(newer), padded, recipients: [older.address], stores: g.stores });
    g.zone.commit();
    const msg = new SealedSenderMultiRecipientMessage(upload);
    const envelope = msg.messageForRecipient(msg.recipientsByServiceIdString()[older.accountId]!);

    const o = older.zone();
    const opened = await openSealed({ ciphertext: envelope, serverTimestamp: sentAt, trustRoot: ca.trustRoot.getPublicKey(), localAccountId: older.accountId, localDeviceId: 1, stores: o.stores });
    o.zone.commit();
    expect(opened.via).toBe('sender-key');
    const body = opened.content.body;
    expect(body).toMatchObject({ type: 'alert', kind: 'other', unknownKind: 'flood', title: json.body.title });

    const store = new MemoryStore();
    const applied = applyGroupBody({ store, state: groupOf(newer, older), sender: newer.accountId, senderDevice: 1, sentAt, relayTime: sentAt, body: body as never });
    if (!applied.ok) throw new Error(`the alert was refused: ${applied.message}`);
    store.commit(applied.changes);
    expect(applied.events).toHaveLength(1);
    expect(applied.events[0]).toMatchObject({
      type: 'alert',
      payload: { id: json.body.id, from: newer.accountId, kind: 'other', severity: 'critical', title: json.body.title, body: 'move cars uphill', place: { text: '3rd and Pine', lat: 34.05, lon: -118.24 }, requestAck: true },
    });
    expect(store.getAlert(GROUP, json.body.id)?.kind).toBe('other');
  });

  it('sent 1:1 is taken the same way', async () => {
    const ca = new TestAuthority();
    const [newer, older] = [new Party(), new Party()];
    await session(newer, older);
    const { padded, json } = newerBuildAlert('evacuation-route', Date.now());
    const s = newer.zone();
    const sealed = await sealPadded(padded, older.address, ca.issue(newer), s.stores);
    s.zone.commit();
    const o = older.zone();
    const opened = await openSealed({ ciphertext: sealed.ciphertext, serverTimestamp: Date.now(), trustRoot: ca.trustRoot.getPublicKey(), localAccountId: older.accountId, localDeviceId: 1, stores: o.stores });
    expect(opened.content.body).toMatchObject({ type: 'alert', id: json.body.id, kind: 'other', unknownKind: 'evacuation-route' });
    expect(opened.content.body).not.toHaveProperty('addedByNewerBuild'); // unknown fields are ignored
  });

  it('this build sends only the kinds it knows', () => {
    const content = { v: 1, sentAt: 1, body: { ...newerBuildAlert('flood', 1).json.body, addedByNewerBuild: undefined } } as unknown as Content;
    expect(() => encodeContent(content)).toThrow(ProtocolError);
    expect(() => encodeContent({ ...content, body: { ...content.body, kind: 'raid' } } as Content)).not.toThrow();
  });
});
