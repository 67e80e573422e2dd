import { randomUUID } from 'node:crypto';
import { IdentityKeyPair, PrivateKey, ProtocolAddress, SenderCertificate, ServerCertificate } from '@signalapp/libsignal-client';
import type { PreKeyBundleResponse } from '@aviso/protocol';
import { generateIdentity, generateKyberPreKey, generatePreKey, generateSignedPreKey } from '../src/crypto/prekeys.js';
import { MemoryStore, signalStores, Zone, type AvisoStore, type LocalKeys } from '../src/stores/index.js';
import { toBase64 } from '../src/util/bytes.js';

/** A relay's certificate authority, made locally (signal.md §6 B): trust root → server cert → sender certs. */
export class TestAuthority {
  readonly trustRoot = PrivateKey.generate();
  readonly serverKey = PrivateKey.generate();
  readonly serverCert = ServerCertificate.new(1, this.serverKey.getPublicKey(), this.trustRoot);
  issue(party: Party, expiresAt = Date.now() + 86_400_000): SenderCertificate {
    return SenderCertificate.new(party.accountId, null, party.deviceId, party.local.identityKeyPair.publicKey, expiresAt, this.serverCert, this.serverKey);
  }
}

/** One device with an in-memory store and published prekeys; no relay involved. */
export class Party {
  readonly accountId = randomUUID();
  readonly deviceId = 1;
  readonly local: LocalKeys;
  readonly address: ProtocolAddress;
  readonly bundleParts: PreKeyBundleResponse['devices'][number];
  constructor(readonly store: AvisoStore = new MemoryStore(), opts: { oneTimePreKey?: boolean } = {}) {
    const { identityKeyPair, registrationId } = generateIdentity();
    this.local = { identityKeyPair, registrationId };
    this.address = ProtocolAddress.new(this.accountId, this.deviceId);
    const now = Date.now();
    const spk = generateSignedPreKey(identityKeyPair, 10, now);
    const kyber = generateKyberPreKey(identityKeyPair, 20, now);
    const pre = generatePreKey(30);
    store.commit({
      localIdentity: { identityKeyPair: identityKeyPair.serialize(), registrationId },
      signedPreKeys: [{ id: 10, record: spk.record.serialize(), createdAt: now }],
      kyberPreKeys: [{ id: 20, record: kyber.record.serialize(), lastResort: true, createdAt: now }],
      preKeys: [{ id: 30, record: pre.record.serialize() }],
    });
    this.bundleParts = {
      deviceId: this.deviceId,
      registrationId,
      signedPreKey: spk.wire,
      pqPreKey: kyber.wire,
      ...(opts.oneTimePreKey === false ? {} : { preKey: pre.wire }),
    };
  }
  bundle(): PreKeyBundleResponse {
    return { identityKey: toBase64(this.local.identityKeyPair.publicKey.serialize()), devices: [this.bundleParts] };
  }
  zone(): { zone: Zone; stores: ReturnType<typeof signalStores> } {
    const zone = new Zone(this.store);
    return { zone, stores: signalStores(zone, this.local) };
  }
}

export function newIdentityKey(): IdentityKeyPair {
  return IdentityKeyPair.generate();
}
