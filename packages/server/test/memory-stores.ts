import {
  IdentityChange,
  IdentityKeyStore,
  PrivateKey,
  ProtocolAddress,
  SenderKeyRecord,
  SenderKeyStore,
  SessionRecord,
  SessionStore,
  type Direction,
  type PublicKey,
  type Uuid,
} from '@signalapp/libsignal-client';

/**
 * libsignal's identity, session and sender key stores in memory, records kept serialized as any
 * persistent store keeps them: for the relay's group-send tests and for the benchmarks' libsignal-only
 * floor. Only libsignal is imported here, so a benchmark can use it outside the test runner.
 */
export class MemoryIdentityStore extends IdentityKeyStore {
  private readonly known = new Map<string, PublicKey>();
  constructor(
    private readonly key: PrivateKey,
    private readonly registrationId: number,
  ) {
    super();
  }
  async getIdentityKey(): Promise<PrivateKey> {
    return this.key;
  }
  async getLocalRegistrationId(): Promise<number> {
    return this.registrationId;
  }
  async saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const old = this.known.get(name.toString());
    this.known.set(name.toString(), key);
    return old !== undefined && !old.equals(key) ? IdentityChange.ReplacedExisting : IdentityChange.NewOrUnchanged;
  }
  async isTrustedIdentity(_name: ProtocolAddress, _key: PublicKey, _direction: Direction): Promise<boolean> {
    return true;
  }
  async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    return this.known.get(name.toString()) ?? null;
  }
}

export class MemorySessionStore extends SessionStore {
  private readonly sessions = new Map<string, Uint8Array<ArrayBuffer>>();
  async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.sessions.set(name.toString(), record.serialize());
  }
  async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    const bytes = this.sessions.get(name.toString());
    return bytes === undefined ? null : SessionRecord.deserialize(bytes);
  }
  async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return Promise.all(
      addresses.map(async (a) => {
        const s = await this.getSession(a);
        if (s === null) throw new Error(`no session for ${a.toString()}`);
        return s;
      }),
    );
  }
}

export class MemorySenderKeyStore extends SenderKeyStore {
  private readonly keys = new Map<string, Uint8Array<ArrayBuffer>>();
  async saveSenderKey(sender: ProtocolAddress, distributionId: Uuid, record: SenderKeyRecord): Promise<void> {
    this.keys.set(`${sender.toString()}/${distributionId}`, record.serialize());
  }
  async getSenderKey(sender: ProtocolAddress, distributionId: Uuid): Promise<SenderKeyRecord | null> {
    const bytes = this.keys.get(`${sender.toString()}/${distributionId}`);
    return bytes === undefined ? null : SenderKeyRecord.deserialize(bytes);
  }
}
