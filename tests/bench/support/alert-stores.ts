import {
  IdentityKeyPair,
  KEMKeyPair,
  PreKeyBundle,
  PrivateKey,
  processPreKeyBundle,
  ProtocolAddress,
} from '@signalapp/libsignal-client';
import { MemoryIdentityStore, MemorySenderKeyStore, MemorySessionStore } from '../../../packages/server/test/memory-stores.js';

/** A sender with in-memory stores and sessions (PQXDH) to recipients whose identity keys it holds. */
export class MemoryParty {
  readonly identity = IdentityKeyPair.generate();
  readonly identityStore = new MemoryIdentityStore(this.identity.privateKey, 1);
  readonly sessionStore = new MemorySessionStore();
  readonly senderKeyStore = new MemorySenderKeyStore();

  constructor(readonly address: ProtocolAddress) {}

  /** A session with `accountId` device 1 from a bundle signed by its identity key (no one-time EC key, as the relay may hand out). */
  async connect(accountId: string, identity: IdentityKeyPair): Promise<ProtocolAddress> {
    const signed = PrivateKey.generate().getPublicKey();
    const kyber = KEMKeyPair.generate().getPublicKey();
    const bundle = PreKeyBundle.new(
      1,
      1,
      null,
      null,
      1,
      signed,
      identity.privateKey.sign(signed.serialize()),
      identity.publicKey,
      1,
      kyber,
      identity.privateKey.sign(kyber.serialize()),
    );
    const address = ProtocolAddress.new(accountId, 1);
    await processPreKeyBundle(bundle, address, this.address, this.sessionStore, this.identityStore);
    return address;
  }

  get stores() {
    return { identity: this.identityStore, session: this.sessionStore, senderKey: this.senderKeyStore };
  }
}
