import { randomUUID } from 'node:crypto';
import {
  Aci,
  ContentHint,
  groupEncrypt,
  KEMKeyPair,
  PreKeyBundle,
  PrivateKey,
  processPreKeyBundle,
  processSenderKeyDistributionMessage,
  ProtocolAddress,
  SenderCertificate,
  SenderKeyDistributionMessage,
  sealedSenderMultiRecipientEncrypt,
  UnidentifiedSenderMessageContent,
  type ServiceId,
} from '@signalapp/libsignal-client';
import {
  ClientZkGroupCipher,
  GroupSendEndorsement,
  GroupSendEndorsementsResponse,
  ServerPublicParams,
  UuidCiphertext,
} from '@signalapp/libsignal-client/dist/zkgroup/index.js';
import { EndorsementsResponse, GROUP_SEND, ROUTES, SenderCertificateResponse } from '@aviso/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { groupUser, newInvite, blob, TestGroup, type GroupUser } from './group-helpers.js';
import type { TestRelay } from './helpers.js';
import { MemoryIdentityStore, MemorySenderKeyStore, MemorySessionStore } from './memory-stores.js';

/**
 * A libsignal party with in-memory stores, playing a group sender or recipient against a test relay:
 * real sessions (PQXDH from locally made bundles), real sender keys, real SSv2 SentMessages.
 */
export class Party {
  readonly address: ProtocolAddress;
  readonly identityStore: MemoryIdentityStore;
  readonly sessionStore = new MemorySessionStore();
  readonly senderKeyStore = new MemorySenderKeyStore();
  readonly distributionId = randomUUID();

  constructor(readonly user: GroupUser) {
    this.address = ProtocolAddress.new(user.accountId, user.deviceId);
    this.identityStore = new MemoryIdentityStore(user.identity, user.registrationId);
  }

  get aci(): Aci {
    return this.user.aci;
  }

  /** Gives this party a session with `to`'s device (by default its real one, with its real registration id). */
  async connect(to: Party, options: { deviceId?: number; registrationId?: number; name?: string } = {}): Promise<ProtocolAddress> {
    const deviceId = options.deviceId ?? to.user.deviceId;
    const signed = PrivateKey.generate().getPublicKey();
    const kyber = KEMKeyPair.generate().getPublicKey();
    const bundle = PreKeyBundle.new(
      options.registrationId ?? to.user.registrationId,
      deviceId,
      null,
      null,
      1,
      signed,
      to.user.identity.sign(signed.serialize()),
      to.user.identity.getPublicKey(),
      2,
      kyber,
      to.user.identity.sign(kyber.serialize()),
    );
    const address = ProtocolAddress.new(options.name ?? to.user.accountId, deviceId);
    await processPreKeyBundle(bundle, address, this.address, this.sessionStore, this.identityStore);
    return address;
  }

  /** This party's SKDM, processed by `recipients` (the 1:1 transport is not what these tests are about). */
  async distributeSenderKey(recipients: Party[]): Promise<void> {
    const skdm = await SenderKeyDistributionMessage.create(this.address, this.distributionId, this.senderKeyStore);
    for (const r of recipients) {
      await processSenderKeyDistributionMessage(this.address, SenderKeyDistributionMessage.deserialize(skdm.serialize()), r.senderKeyStore);
    }
  }

  /** groupEncrypt → USMC (with a relay-issued sender certificate) → SSv2 SentMessage for `addresses`. */
  async sentMessage(relay: TestRelay, addresses: ProtocolAddress[], plaintext: Uint8Array<ArrayBuffer>, excluded: ServiceId[] = []): Promise<Uint8Array<ArrayBuffer>> {
    const res = await relay.app.inject({ method: 'GET', url: ROUTES.senderCertificate, headers: { authorization: this.user.auth } });
    const cert = SenderCertificate.deserialize(new Uint8Array(Buffer.from(SenderCertificateResponse.parse(res.json()).certificate, 'base64')));
    const ciphertext = await groupEncrypt(this.address, this.distributionId, this.senderKeyStore, plaintext);
    const usmc = UnidentifiedSenderMessageContent.new(ciphertext, cert, ContentHint.Resendable, new Uint8Array(16));
    return sealedSenderMultiRecipientEncrypt({
      content: usmc,
      recipients: addresses,
      excludedRecipients: excluded,
      identityStore: this.identityStore,
      sessionStore: this.sessionStore,
    });
  }
}

/** A group created on the relay by the first of `n` fresh users, the others joined through an invite. */
export async function groupOf(relay: TestRelay, n: number): Promise<{ group: TestGroup; parties: Party[] }> {
  const users: GroupUser[] = [];
  for (let i = 0; i < n; i++) users.push(await groupUser(relay));
  const [admin, ...others] = users;
  if (!admin) throw new Error('a group needs a member');
  const group = new TestGroup(relay);
  expectOk(await group.create(admin));
  const invite = newInvite({ maxUses: 100 });
  expectOk(await group.append(admin, [invite.action]));
  for (const u of others) expectOk(await group.append(u, [{ type: 'join', inviteId: invite.inviteId, profile: blob() }], { password: invite.password }));
  return { group, parties: users.map((u) => new Party(u)) };
}

export function expectOk(res: LightMyRequestResponse): void {
  if (res.statusCode !== 200) throw new Error(`expected 200, got ${res.statusCode} ${res.body}`);
}

export async function fetchEndorsements(group: TestGroup, user: GroupUser): Promise<LightMyRequestResponse> {
  return group.relay.app.inject({ method: 'GET', url: ROUTES.groupEndorsements.path(group.id), headers: group.headers(user) });
}

/**
 * What a client does: fetch the endorsements, map the pseudonyms to ACIs, receive them, and combine
 * the ones of `recipients` into a full token (base64, the header value).
 */
export async function tokenFor(group: TestGroup, me: Party, recipients: Aci[]): Promise<string> {
  const res = await fetchEndorsements(group, me.user);
  expectOk(res);
  const body = EndorsementsResponse.parse(res.json());
  const cipher = new ClientZkGroupCipher(group.secret);
  const acis = body.members.map((m) => cipher.decryptServiceId(new UuidCiphertext(new Uint8Array(Buffer.from(m, 'base64')))));
  const received = new GroupSendEndorsementsResponse(new Uint8Array(Buffer.from(body.response, 'base64'))).receiveWithServiceIds(
    acis,
    me.aci,
    group.secret,
    new ServerPublicParams(new Uint8Array(group.relay.ctx.keys.zkgroupPublicParams)),
    new Date(group.relay.clock.now()),
  );
  const wanted = new Set(recipients.map((a) => a.getServiceIdString()));
  const chosen = received.endorsements.filter((_, i) => wanted.has(acis[i]!.getServiceIdString()));
  if (chosen.length !== wanted.size) throw new Error('a recipient is not a member');
  const token = GroupSendEndorsement.combine(chosen).toFullToken(group.secret, new Date(body.expiration * 1000));
  return Buffer.from(token.serialize()).toString('base64');
}

export function multiRecipientSend(relay: TestRelay, body: Uint8Array, headers: Record<string, string>, ts = relay.clock.now()) {
  return relay.app.inject({
    method: 'PUT',
    url: `${ROUTES.multiRecipient}?ts=${ts}`,
    headers: { 'content-type': GROUP_SEND.contentType, ...headers },
    payload: Buffer.from(body),
  });
}

export function tokenHeader(token: string): Record<string, string> {
  return { [GROUP_SEND.tokenHeader]: token };
}

/** A group of `n` (the first one sends), sessions and sender key distributed, and a SentMessage to everyone else. */
export async function sendScenario(relay: TestRelay, n = 4, plaintext = new Uint8Array(Buffer.from('agents staging at the car wash on 5th and Main'))) {
  const { group, parties } = await groupOf(relay, n);
  const [sender, ...recipients] = parties as [Party, ...Party[]];
  const addresses = [];
  for (const r of recipients) addresses.push(await sender.connect(r));
  await sender.distributeSenderKey(recipients);
  const body = await sender.sentMessage(relay, addresses, plaintext);
  const token = await tokenFor(group, sender, recipients.map((r) => r.aci));
  return { group, sender, recipients, body, token, plaintext };
}
