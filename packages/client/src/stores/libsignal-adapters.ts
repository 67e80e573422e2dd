import {
  Direction,
  IdentityChange,
  IdentityKeyStore,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyRecord,
  PreKeyStore,
  SenderKeyRecord,
  SenderKeyStore,
  SessionRecord,
  SessionStore,
  SignedPreKeyRecord,
  SignedPreKeyStore,
  type IdentityKeyPair,
  type PrivateKey,
  type ProtocolAddress,
  PublicKey,
  type Uuid,
} from '@signalapp/libsignal-client';
import { nextIdentity, trustedForSending, type IdentityPolicy } from './trust.js';
import type { Zone } from './zone.js';

/**
 * Thin subclasses of libsignal's abstract stores (Signal-Desktop's LibSignalStores.ts), all reading
 * and writing one Zone so that whatever libsignal does while handling one message commits together.
 */
export interface SignalStores {
  session: SessionStore;
  identity: IdentityKeyStore;
  preKey: PreKeyStore;
  signedPreKey: SignedPreKeyStore;
  kyberPreKey: KyberPreKeyStore;
  senderKey: SenderKeyStore;
}

export interface LocalKeys {
  identityKeyPair: IdentityKeyPair;
  registrationId: number;
}

const copy = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b);
export const addressKey = (a: ProtocolAddress) => `${a.name()}.${a.deviceId()}`;

export function signalStores(zone: Zone, local: LocalKeys, now: () => number = Date.now, policy: IdentityPolicy = 'block'): SignalStores {
  return {
    session: new ZoneSessionStore(zone),
    identity: new ZoneIdentityStore(zone, local, now, policy),
    preKey: new ZonePreKeyStore(zone),
    signedPreKey: new ZoneSignedPreKeyStore(zone),
    kyberPreKey: new ZoneKyberPreKeyStore(zone),
    senderKey: new ZoneSenderKeyStore(zone),
  };
}

/**
 * Deserialized session records by address, reused while their serialized bytes are unchanged: a
 * group send reads a thousand members' sessions, and deserializing them costs more than comparing.
 * Only for reads that never mutate the record (multi-recipient encryption, device lists).
 */
export class SessionRecordCache {
  readonly #entries = new Map<string, { raw: Uint8Array; record: SessionRecord }>();

  get(accountId: string, deviceId: number, raw: Uint8Array): SessionRecord {
    const key = `${accountId}.${deviceId}`;
    const known = this.#entries.get(key);
    // The SQLite store hands back its cached array while the session is unchanged: identity first.
    if (known && (known.raw === raw || (known.raw.length === raw.length && Buffer.compare(known.raw, raw) === 0))) return known.record;
    const record = SessionRecord.deserialize(copy(raw));
    this.#entries.set(key, { raw, record });
    return record;
  }
}

/**
 * The same stores, with multi-recipient session reads answered from `records` (by `accountId.deviceId`),
 * which the caller read from this same zone: a group send reads its recipients' sessions once.
 */
export function withSessionRecords(stores: SignalStores, zone: Zone, records: ReadonlyMap<string, SessionRecord>): SignalStores {
  return { ...stores, session: new ZoneSessionStore(zone, records) };
}

class ZoneSessionStore extends SessionStore {
  constructor(
    private readonly zone: Zone,
    private readonly known?: ReadonlyMap<string, SessionRecord>,
  ) {
    super();
  }
  override async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.zone.setSession(name.name(), name.deviceId(), record.serialize());
  }
  override async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    const raw = this.zone.getSession(name.name(), name.deviceId());
    return raw ? SessionRecord.deserialize(copy(raw)) : null;
  }
  /** sealedSenderMultiRecipientEncrypt reads every recipient's session here: one store lookup for all. */
  override async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    const known = this.known;
    if (known) {
      const hits = addresses.map((a) => known.get(addressKey(a)));
      if (hits.every((r) => r !== undefined)) return hits;
    }
    const names = addresses.map((a) => a.name());
    const found = new Map(this.zone.getSessionsOf(names).map((s) => [`${s.accountId}.${s.deviceId}`, s.record]));
    return addresses.map((a) => {
      const raw = found.get(addressKey(a));
      if (!raw) throw new Error(`no session for ${addressKey(a)}`);
      return SessionRecord.deserialize(copy(raw));
    });
  }
}

class ZoneIdentityStore extends IdentityKeyStore {
  constructor(
    private readonly zone: Zone,
    private readonly local: LocalKeys,
    private readonly now: () => number,
    private readonly policy: IdentityPolicy,
  ) {
    super();
  }
  override async getIdentityKey(): Promise<PrivateKey> {
    return this.local.identityKeyPair.privateKey;
  }
  /** The pair we hold: libsignal's default derives the public key from the private one on every call (each envelope opened, each seal). */
  override async getIdentityKeyPair(): Promise<IdentityKeyPair> {
    return this.local.identityKeyPair;
  }
  override async getLocalRegistrationId(): Promise<number> {
    return this.local.registrationId;
  }
  override async saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const next = nextIdentity(this.zone.getIdentity(name.name()), key.serialize(), this.now(), this.policy);
    if (!next) return IdentityChange.NewOrUnchanged;
    this.zone.setIdentity(name.name(), next.record, next.changed);
    return next.changed ? IdentityChange.ReplacedExisting : IdentityChange.NewOrUnchanged;
  }
  override async isTrustedIdentity(name: ProtocolAddress, key: PublicKey, direction: Direction): Promise<boolean> {
    if (direction === Direction.Receiving) return true;
    return trustedForSending(this.zone.getIdentity(name.name()), key.serialize(), this.policy);
  }
  override async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    const record = this.zone.getIdentity(name.name());
    return record ? PublicKey.deserialize(copy(record.publicKey)) : null;
  }
}

class ZonePreKeyStore extends PreKeyStore {
  constructor(private readonly zone: Zone) {
    super();
  }
  override async savePreKey(): Promise<void> {
    // Prekeys are generated and stored by the account layer, never by libsignal callbacks.
    throw new Error('savePreKey is not used');
  }
  override async getPreKey(id: number): Promise<PreKeyRecord> {
    const raw = this.zone.getPreKey(id);
    if (!raw) throw new Error(`no prekey ${id}`);
    return PreKeyRecord.deserialize(copy(raw));
  }
  override async removePreKey(id: number): Promise<void> {
    this.zone.removePreKey(id);
  }
}

class ZoneSignedPreKeyStore extends SignedPreKeyStore {
  constructor(private readonly zone: Zone) {
    super();
  }
  override async saveSignedPreKey(): Promise<void> {
    throw new Error('saveSignedPreKey is not used');
  }
  override async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const stored = this.zone.store.getSignedPreKey(id);
    if (!stored) throw new Error(`no signed prekey ${id}`);
    return SignedPreKeyRecord.deserialize(copy(stored.record));
  }
}

class ZoneKyberPreKeyStore extends KyberPreKeyStore {
  constructor(private readonly zone: Zone) {
    super();
  }
  override async saveKyberPreKey(): Promise<void> {
    throw new Error('saveKyberPreKey is not used');
  }
  override async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const stored = this.zone.getKyberPreKey(id);
    if (!stored) throw new Error(`no kyber prekey ${id}`);
    return KyberPreKeyRecord.deserialize(copy(stored.record));
  }
  override async markKyberPreKeyUsed(kyberPreKeyId: number, signedPreKeyId: number, baseKey: PublicKey): Promise<void> {
    const stored = this.zone.getKyberPreKey(kyberPreKeyId);
    if (!stored) throw new Error(`no kyber prekey ${kyberPreKeyId}`);
    // One-time keys are deleted; last-resort keys stay and the triple table stops replays.
    if (!this.zone.markKyberUsed({ kyberPreKeyId, signedPreKeyId, baseKey: baseKey.serialize() }, !stored.lastResort)) {
      throw new Error('kyber prekey use replayed');
    }
  }
}

class ZoneSenderKeyStore extends SenderKeyStore {
  constructor(private readonly zone: Zone) {
    super();
  }
  override async saveSenderKey(sender: ProtocolAddress, distributionId: Uuid, record: SenderKeyRecord): Promise<void> {
    this.zone.setSenderKey(addressKey(sender), distributionId, record.serialize());
  }
  override async getSenderKey(sender: ProtocolAddress, distributionId: Uuid): Promise<SenderKeyRecord | null> {
    const raw = this.zone.getSenderKey(addressKey(sender), distributionId);
    return raw ? SenderKeyRecord.deserialize(copy(raw)) : null;
  }
}
