import {
  kyberUseKey,
  type AvisoStore,
  type CommitOptions,
  type IdentityRecord,
  type KyberUse,
  type StoreChanges,
  type StoredKyberPreKey,
  type StoredSession,
} from './interfaces.js';

const sessionKey = (accountId: string, deviceId: number) => `${accountId}.${deviceId}`;
const senderKeyKey = (sender: string, distributionId: string) => `${sender}\u0000${distributionId}`;

/**
 * A pending change set over a store (Signal-Desktop's "zone"). libsignal's callbacks read through
 * it (pending writes win) and write into it; nothing reaches the store until `commit`, which
 * hands everything, plus the caller's own rows (dedupe, unprocessed), to one `store.commit`.
 * Dropping the zone discards every change: a failed decrypt leaves no trace.
 */
export class Zone {
  readonly #sessions = new Map<string, { accountId: string; deviceId: number; record: Uint8Array | null }>();
  readonly #identities = new Map<string, IdentityRecord>();
  /** Identities read ahead of libsignal's per-recipient lookups (`prefetchIdentities`); never committed. */
  readonly #identityReads = new Map<string, IdentityRecord | undefined>();
  readonly #removedPreKeys = new Set<number>();
  readonly #removedKyber = new Set<number>();
  readonly #kyberUsed = new Map<string, KyberUse>();
  readonly #senderKeys = new Map<string, { sender: string; distributionId: string; record: Uint8Array }>();
  /** Peers whose identity key was replaced in this zone; surfaced only after the commit. */
  readonly changedIdentities = new Set<string>();

  constructor(readonly store: AvisoStore) {}

  getSession(accountId: string, deviceId: number): Uint8Array | undefined {
    const pending = this.#sessions.get(sessionKey(accountId, deviceId));
    if (pending) return pending.record ?? undefined;
    return this.store.getSession(accountId, deviceId);
  }
  setSession(accountId: string, deviceId: number, record: Uint8Array | null): void {
    this.#sessions.set(sessionKey(accountId, deviceId), { accountId, deviceId, record });
  }
  getSessionDevices(accountId: string): number[] {
    const devices = new Set(this.store.getSessionDevices(accountId));
    for (const s of this.#sessions.values()) {
      if (s.accountId !== accountId) continue;
      if (s.record === null) devices.delete(s.deviceId);
      else devices.add(s.deviceId);
    }
    return [...devices].sort((a, b) => a - b);
  }

  /** Every session of these accounts (pending writes win), by account then device id; one store lookup when it can. */
  getSessionsOf(accountIds: readonly string[]): StoredSession[] {
    return withPending(sessionsOf(this.store, accountIds), this.#sessions.values(), accountIds);
  }

  getIdentity(accountId: string): IdentityRecord | undefined {
    const pending = this.#identities.get(accountId);
    if (pending) return pending;
    if (this.#identityReads.has(accountId)) return this.#identityReads.get(accountId);
    return this.store.getIdentity(accountId);
  }
  /**
   * Reads these accounts' identities in one store lookup (when the store can), for an operation
   * about to ask for each (a multi-recipient encrypt checks a thousand).
   */
  prefetchIdentities(accountIds: readonly string[]): void {
    if (!this.store.getIdentitiesOf) return;
    for (const a of accountIds) this.#identityReads.set(a, undefined);
    for (const { accountId, record } of this.store.getIdentitiesOf(accountIds)) this.#identityReads.set(accountId, record);
  }
  setIdentity(accountId: string, record: IdentityRecord, changed: boolean): void {
    this.#identities.set(accountId, record);
    if (changed) this.changedIdentities.add(accountId);
  }

  getPreKey(id: number): Uint8Array | undefined {
    return this.#removedPreKeys.has(id) ? undefined : this.store.getPreKey(id);
  }
  removePreKey(id: number): void {
    this.#removedPreKeys.add(id);
  }
  getKyberPreKey(id: number): StoredKyberPreKey | undefined {
    return this.#removedKyber.has(id) ? undefined : this.store.getKyberPreKey(id);
  }
  /** Records a Kyber prekey use; returns false (recording nothing) if this exact use was seen before. */
  markKyberUsed(use: KyberUse, removeKey: boolean): boolean {
    const key = kyberUseKey(use);
    if (this.#kyberUsed.has(key) || this.store.isKyberPreKeyUsed(use)) return false;
    this.#kyberUsed.set(key, use);
    if (removeKey) this.#removedKyber.add(use.kyberPreKeyId);
    return true;
  }

  getSenderKey(sender: string, distributionId: string): Uint8Array | undefined {
    return this.#senderKeys.get(senderKeyKey(sender, distributionId))?.record ?? this.store.getSenderKey(sender, distributionId);
  }
  setSenderKey(sender: string, distributionId: string, record: Uint8Array): void {
    this.#senderKeys.set(senderKeyKey(sender, distributionId), { sender, distributionId, record });
  }

  /** The zone's writes as a change set, merged with `extra` (the caller's own rows). */
  changes(extra: StoreChanges = {}): StoreChanges {
    return {
      ...extra,
      sessions: [...(extra.sessions ?? []), ...this.#sessions.values()],
      identities: [...(extra.identities ?? []), ...[...this.#identities].map(([accountId, record]) => ({ accountId, record }))],
      removePreKeys: [...(extra.removePreKeys ?? []), ...this.#removedPreKeys],
      removeKyberPreKeys: [...(extra.removeKyberPreKeys ?? []), ...this.#removedKyber],
      kyberUsed: [...(extra.kyberUsed ?? []), ...this.#kyberUsed.values()],
      senderKeys: [...(extra.senderKeys ?? []), ...this.#senderKeys.values()],
    };
  }

  /** Writes the zone and `extra` in one store transaction. */
  commit(extra: StoreChanges = {}, options?: CommitOptions): void {
    this.store.commit(this.changes(extra), options);
  }
}

/** Sessions of these accounts from a store: batched if it supports it, else per account and device. */
export function sessionsOf(store: AvisoStore, accountIds: readonly string[]): StoredSession[] {
  if (store.getSessionsOf) return store.getSessionsOf(accountIds);
  const out: StoredSession[] = [];
  for (const accountId of [...new Set(accountIds)].sort()) {
    for (const deviceId of store.getSessionDevices(accountId)) {
      const record = store.getSession(accountId, deviceId);
      if (record) out.push({ accountId, deviceId, record });
    }
  }
  return out;
}

function withPending(
  stored: StoredSession[],
  pending: Iterable<{ accountId: string; deviceId: number; record: Uint8Array | null }>,
  accountIds: readonly string[],
): StoredSession[] {
  const wanted = new Set(accountIds);
  const writes = [...pending].filter((p) => wanted.has(p.accountId));
  if (writes.length === 0) return stored;
  const merged = new Map(stored.map((s) => [sessionKey(s.accountId, s.deviceId), s]));
  for (const w of writes) {
    if (w.record === null) merged.delete(sessionKey(w.accountId, w.deviceId));
    else merged.set(sessionKey(w.accountId, w.deviceId), { accountId: w.accountId, deviceId: w.deviceId, record: w.record });
  }
  return [...merged.values()].sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : a.deviceId - b.deviceId));
}
