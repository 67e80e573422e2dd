import { and, asc, count, desc, eq, notInArray } from 'drizzle-orm';
import type { Synchronous } from '../../ports/maybe-promise.js';
import type { DeviceKey, PreKeysStore, StoredPreKey, StoredSignedPreKey } from '../../ports/prekeys.js';
import type { Db } from './db.js';
import { ecPreKeys, kyberLastResort, kyberPreKeys, signedPreKeys } from './schema.js';

const buf = (b: Uint8Array) => Buffer.from(b);

export class PreKeysRepository implements Synchronous<PreKeysStore> {
  constructor(private readonly db: Db) {}

  setSignedPreKey(d: DeviceKey, key: StoredSignedPreKey): void {
    const row = { ...d, keyId: key.keyId, publicKey: buf(key.publicKey), signature: buf(key.signature) };
    this.db
      .insert(signedPreKeys)
      .values(row)
      .onConflictDoUpdate({ target: [signedPreKeys.accountId, signedPreKeys.deviceId], set: row })
      .run();
  }

  setLastResort(d: DeviceKey, key: StoredSignedPreKey): void {
    const row = { ...d, keyId: key.keyId, publicKey: buf(key.publicKey), signature: buf(key.signature) };
    this.db
      .insert(kyberLastResort)
      .values(row)
      .onConflictDoUpdate({ target: [kyberLastResort.accountId, kyberLastResort.deviceId], set: row })
      .run();
  }

  signedPreKey(d: DeviceKey): StoredSignedPreKey | undefined {
    return this.db
      .select({ keyId: signedPreKeys.keyId, publicKey: signedPreKeys.publicKey, signature: signedPreKeys.signature })
      .from(signedPreKeys)
      .where(and(eq(signedPreKeys.accountId, d.accountId), eq(signedPreKeys.deviceId, d.deviceId)))
      .get();
  }

  lastResort(d: DeviceKey): StoredSignedPreKey | undefined {
    return this.db
      .select({ keyId: kyberLastResort.keyId, publicKey: kyberLastResort.publicKey, signature: kyberLastResort.signature })
      .from(kyberLastResort)
      .where(and(eq(kyberLastResort.accountId, d.accountId), eq(kyberLastResort.deviceId, d.deviceId)))
      .get();
  }

  /** Adds one-time EC prekeys (a re-used key id replaces the old key), then keeps only the newest `keep`. */
  addEcPreKeys(d: DeviceKey, keys: readonly StoredPreKey[], keep: number): void {
    for (const k of keys) {
      this.db.delete(ecPreKeys).where(and(this.ecDevice(d), eq(ecPreKeys.keyId, k.keyId))).run();
      this.db.insert(ecPreKeys).values({ ...d, keyId: k.keyId, publicKey: buf(k.publicKey) }).run();
    }
    const keepIds = this.db.select({ id: ecPreKeys.id }).from(ecPreKeys).where(this.ecDevice(d)).orderBy(desc(ecPreKeys.id)).limit(keep);
    this.db.delete(ecPreKeys).where(and(this.ecDevice(d), notInArray(ecPreKeys.id, keepIds))).run();
  }

  addKyberPreKeys(d: DeviceKey, keys: readonly StoredSignedPreKey[], keep: number): void {
    for (const k of keys) {
      this.db.delete(kyberPreKeys).where(and(this.kyberDevice(d), eq(kyberPreKeys.keyId, k.keyId))).run();
      this.db
        .insert(kyberPreKeys)
        .values({ ...d, keyId: k.keyId, publicKey: buf(k.publicKey), signature: buf(k.signature) })
        .run();
    }
    const keepIds = this.db
      .select({ id: kyberPreKeys.id })
      .from(kyberPreKeys)
      .where(this.kyberDevice(d))
      .orderBy(desc(kyberPreKeys.id))
      .limit(keep);
    this.db.delete(kyberPreKeys).where(and(this.kyberDevice(d), notInArray(kyberPreKeys.id, keepIds))).run();
  }

  counts(d: DeviceKey): { ec: number; kyber: number } {
    const ec = this.db.select({ n: count() }).from(ecPreKeys).where(this.ecDevice(d)).get()?.n ?? 0;
    const kyber = this.db.select({ n: count() }).from(kyberPreKeys).where(this.kyberDevice(d)).get()?.n ?? 0;
    return { ec, kyber };
  }

  /** Removes and returns the oldest one-time EC prekey, if any (call inside a transaction). */
  popEcPreKey(d: DeviceKey): StoredPreKey | undefined {
    const row = this.db
      .select({ id: ecPreKeys.id, keyId: ecPreKeys.keyId, publicKey: ecPreKeys.publicKey })
      .from(ecPreKeys)
      .where(this.ecDevice(d))
      .orderBy(asc(ecPreKeys.id))
      .limit(1)
      .get();
    if (row === undefined) return undefined;
    this.db.delete(ecPreKeys).where(eq(ecPreKeys.id, row.id)).run();
    return { keyId: row.keyId, publicKey: row.publicKey };
  }

  /** Removes and returns the oldest one-time Kyber prekey, if any (call inside a transaction). */
  popKyberPreKey(d: DeviceKey): StoredSignedPreKey | undefined {
    const row = this.db
      .select({ id: kyberPreKeys.id, keyId: kyberPreKeys.keyId, publicKey: kyberPreKeys.publicKey, signature: kyberPreKeys.signature })
      .from(kyberPreKeys)
      .where(this.kyberDevice(d))
      .orderBy(asc(kyberPreKeys.id))
      .limit(1)
      .get();
    if (row === undefined) return undefined;
    this.db.delete(kyberPreKeys).where(eq(kyberPreKeys.id, row.id)).run();
    return { keyId: row.keyId, publicKey: row.publicKey, signature: row.signature };
  }

  private ecDevice(d: DeviceKey) {
    return and(eq(ecPreKeys.accountId, d.accountId), eq(ecPreKeys.deviceId, d.deviceId));
  }

  private kyberDevice(d: DeviceKey) {
    return and(eq(kyberPreKeys.accountId, d.accountId), eq(kyberPreKeys.deviceId, d.deviceId));
  }
}
