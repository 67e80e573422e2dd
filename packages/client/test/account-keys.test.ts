import { IdentityKeyPair } from '@signalapp/libsignal-client';
import { ID_BOUNDS } from '@aviso/protocol';
import { describe, expect, it } from 'vitest';
import { KeyManager } from '../src/account/keys.js';
import { nextKeyId } from '../src/crypto/prekeys.js';
import { MemoryStore } from '../src/index.js';
import { silentLogger } from '../src/util/logger.js';

/** Key ids (docs/protocol.md "Prekeys"): the Kyber store is keyed by id alone, so one-time and last-resort ids must never meet. */
describe('prekey ids', () => {
  it('one-time and last-resort Kyber keys take their ids from one counter, so they never collide', () => {
    const store = new MemoryStore();
    const keys = new KeyManager(store, IdentityKeyPair.generate(), silentLogger, () => 1_795_000_000_000);
    const ids: number[] = [];
    ids.push(keys.rotateSignedKeys().pqLastResortPreKey.keyId);
    ids.push(...keys.generateOneTimeKeys(false, true).pqPreKeys!.map((k) => k.keyId));
    ids.push(keys.rotateSignedKeys().pqLastResortPreKey.keyId);
    ids.push(...keys.generateOneTimeKeys(false, true).pqPreKeys!.map((k) => k.keyId));
    expect(new Set(ids).size).toBe(ids.length);
    // Every id the relay may hand out is one record here, of the kind it was uploaded as.
    for (const id of ids) expect(store.getKyberPreKey(id)).toBeDefined();
    expect(store.listLastResortKyberPreKeys().map((k) => k.id)).toEqual([ids[0], ids[101]]);
  });

  it('ids wrap within 24 bits and are never 0', () => {
    expect(nextKeyId(ID_BOUNDS.maxKeyId)).toBe(ID_BOUNDS.minKeyId);
    expect(nextKeyId(5)).toBe(6);
  });
});
