import type { IdentityKeyPair } from '@signalapp/libsignal-client';
import { ENDPOINTS, LIMITS, type SetKeysRequest, type SignedEcPreKey, type SignedKyberPreKey } from '@aviso/protocol';
import { generateKyberPreKey, generatePreKey, generateSignedPreKey, nextKeyId, randomKeyId } from '../crypto/prekeys.js';
import type { AvisoStore, StoreChanges } from '../stores/interfaces.js';
import type { RelayHttp } from '../transport/http.js';
import type { Logger } from '../util/logger.js';

/** Signal-Desktop's numbers: batches of 100, refill under 10, rotate about every 2 days, keep 5. */
export const KEY_POLICY = {
  batchSize: LIMITS.maxPreKeysPerUpload,
  refillBelow: 10,
  rotateAfterMs: 2 * 24 * 3600 * 1000,
  keepRotated: 5,
} as const;

type Counter = 'preKey' | 'signedPreKey' | 'kyberPreKey';

/**
 * Local key material lifecycle: generates keys, stores them BEFORE they are uploaded (a key the
 * relay hands out must always be decryptable here), tops up one-time keys and rotates the signed
 * and last-resort keys, keeping recent ones so in-flight messages still decrypt.
 */
export class KeyManager {
  constructor(
    private readonly store: AvisoStore,
    private readonly identity: IdentityKeyPair,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  #allocate(counter: Counter, n: number): { ids: number[]; meta: Record<string, string> } {
    const key = `keyId.${counter}`;
    const stored = this.store.getMeta(key);
    let id = stored === undefined ? randomKeyId() : Number(stored);
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      ids.push(id);
      id = nextKeyId(id);
    }
    return { ids, meta: { [key]: String(id) } };
  }

  /** A new signed prekey and last-resort Kyber key, stored; returns their public parts. */
  rotateSignedKeys(): { signedPreKey: SignedEcPreKey; pqLastResortPreKey: SignedKyberPreKey } {
    const now = this.now();
    const spkIds = this.#allocate('signedPreKey', 1);
    const kyberIds = this.#allocate('kyberPreKey', 1);
    const spk = generateSignedPreKey(this.identity, spkIds.ids[0] as number, now);
    const kyber = generateKyberPreKey(this.identity, kyberIds.ids[0] as number, now);
    const changes: StoreChanges = {
      meta: { ...spkIds.meta, ...kyberIds.meta },
      signedPreKeys: [{ id: spk.record.id(), record: spk.record.serialize(), createdAt: now }],
      kyberPreKeys: [{ id: kyber.record.id(), record: kyber.record.serialize(), lastResort: true, createdAt: now }],
      ...this.#pruneRotated(),
    };
    this.store.commit(changes);
    return { signedPreKey: spk.wire, pqLastResortPreKey: kyber.wire };
  }

  /** Drops all but the newest `keepRotated - 1` old keys (the new one makes `keepRotated`). */
  #pruneRotated(): Pick<StoreChanges, 'removeSignedPreKeys' | 'removeKyberPreKeys'> {
    const keep = KEY_POLICY.keepRotated - 1;
    const signed = this.store.listSignedPreKeys();
    const lastResort = this.store.listLastResortKyberPreKeys();
    return {
      removeSignedPreKeys: signed.slice(0, Math.max(0, signed.length - keep)).map((k) => k.id),
      removeKyberPreKeys: lastResort.slice(0, Math.max(0, lastResort.length - keep)).map((k) => k.id),
    };
  }

  /** One-time keys of the requested kinds, stored; returns the upload body. */
  generateOneTimeKeys(ec: boolean, pq: boolean): SetKeysRequest {
    const now = this.now();
    const changes: StoreChanges = { meta: {} };
    const body: SetKeysRequest = {};
    if (ec) {
      const { ids, meta } = this.#allocate('preKey', KEY_POLICY.batchSize);
      const keys = ids.map(generatePreKey);
      Object.assign(changes.meta as object, meta);
      changes.preKeys = keys.map((k) => ({ id: k.record.id(), record: k.record.serialize() }));
      body.preKeys = keys.map((k) => k.wire);
    }
    if (pq) {
      const { ids, meta } = this.#allocate('kyberPreKey', KEY_POLICY.batchSize);
      const keys = ids.map((id) => generateKyberPreKey(this.identity, id, now));
      Object.assign(changes.meta as object, meta);
      changes.kyberPreKeys = keys.map((k) => ({ id: k.record.id(), record: k.record.serialize(), lastResort: false, createdAt: now }));
      body.pqPreKeys = keys.map((k) => k.wire);
    }
    this.store.commit(changes);
    return body;
  }

  /** Tops up one-time keys when the relay runs low, and rotates signed keys when due. */
  async maintain(http: RelayHttp): Promise<void> {
    const newest = this.store.listSignedPreKeys().at(-1);
    if (!newest || this.now() - newest.createdAt > KEY_POLICY.rotateAfterMs) {
      const body = this.rotateSignedKeys();
      await http.call(ENDPOINTS.setKeys, { body });
      this.logger.info({}, 'rotated signed prekey and last-resort key');
    }
    const counts = await http.call(ENDPOINTS.preKeyCount, {});
    const ec = counts.count < KEY_POLICY.refillBelow;
    const pq = counts.pqCount < KEY_POLICY.refillBelow;
    if (ec || pq) {
      await http.call(ENDPOINTS.setKeys, { body: this.generateOneTimeKeys(ec, pq) });
      this.logger.info({ ec, pq }, 'uploaded one-time prekeys');
    }
  }
}
