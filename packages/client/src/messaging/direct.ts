import { ProtocolAddress } from '@signalapp/libsignal-client';
import { ENDPOINTS, type Content, type OutgoingMessage, type PreKeyBundleResponse } from '@aviso/protocol';
import type { Account } from '../account/account.js';
import type { SenderCertificates } from '../account/sender-certificate.js';
import { MemberKeys } from '../alerts/member-keys.js';
import { sameBytes } from '../crypto/group-keys.js';
import { sealContent } from '../crypto/sealed.js';
import { buildSessions } from '../crypto/sessions.js';
import { IdentityMismatchError, UntrustedIdentityError } from '../errors.js';
import type { AvisoStore } from '../stores/interfaces.js';
import { changedIdentity } from '../stores/trust.js';
import { Zone } from '../stores/zone.js';
import { toBase64, fromBase64 } from '../util/bytes.js';
import type { EventSink } from '../util/events.js';
import type { Logger } from '../util/logger.js';
import type { CryptoQueue, CryptoQueueEvents } from './crypto-queue.js';
import { archiveSessions, SEND_ATTEMPTS, type DeviceSync } from './device-sync.js';

/** The identity key a verified group log binds to a recipient: a send to a fellow member goes only to it. */
export interface ExpectedKey {
  groupId: string;
  identityKey: Uint8Array | undefined;
}

export interface DirectSenderDeps {
  store: AvisoStore;
  account: Account;
  crypto: CryptoQueue;
  devices: DeviceSync;
  certificates: SenderCertificates;
  events: EventSink<CryptoQueueEvents>;
  logger: Logger;
}

/** The 1:1 sealed-sender send: every device of one account, sessions started from prekey bundles as needed. */
export class DirectSender {
  readonly #d: DirectSenderDeps;
  readonly #memberKeys = new MemberKeys();

  constructor(deps: DirectSenderDeps) {
    this.#d = deps;
  }

  /**
   * The identity key a verified group log binds to `accountId`, if we share a group with them: a
   * direct message to a fellow member goes only to that key, from the first contact on.
   */
  groupIdentityOf(accountId: string): ExpectedKey | undefined {
    for (const rec of this.#d.store.listGroups()) {
      if (rec.status !== 'member') continue;
      for (const m of Object.values(rec.state.members)) if (m.accountId === accountId) return { groupId: rec.groupId, identityKey: this.#memberKeys.keyOf(m) };
    }
    return undefined;
  }

  /**
   * Seals `content` for every device of `to`. With `expect` (a group member: SKDMs, resends) only to
   * the identity key the verified group log binds to them: a bundle or session under any other key
   * throws IdentityMismatchError before anything is encrypted.
   */
  async send(to: string, content: Content, expect?: ExpectedKey): Promise<void> {
    const account = this.#d.account.record;
    const http = this.#d.account.http;
    const certificate = await this.#d.certificates.current();
    let refetch: Set<number> | 'all' | undefined;
    const mismatch = (reason: 'key-mismatch' | 'no-verified-key') => new IdentityMismatchError(expect!.groupId, to, 'sending', reason);
    if (expect && !expect.identityKey) throw mismatch('no-verified-key');
    for (let attempt = 1; ; attempt++) {
      if (refetch === undefined && this.#d.devices.currentDevices(to).length === 0) refetch = 'all';
      const bundles = await this.#fetchBundles(to, refetch);
      for (const bundle of bundles) {
        const key = fromBase64(bundle.identityKey);
        if (expect && !sameBytes(key, expect.identityKey!)) throw mismatch('key-mismatch');
        if (!expect) this.#noteChangedKey(to, key);
      }
      const messages = await this.#d.crypto.inZone(to, async (zone, stores) => {
        for (const bundle of bundles) await buildSessions(stores, ProtocolAddress.new(account.accountId, account.deviceId), to, bundle);
        // A session may predate the log (a 1:1 contact) or come from a message under another key.
        const stored = zone.getIdentity(to);
        if (expect && (!stored || !sameBytes(stored.publicKey, expect.identityKey!))) throw mismatch('key-mismatch');
        const out: OutgoingMessage[] = [];
        for (const deviceId of this.#d.devices.currentDevices(to, zone)) {
          const sealed = await sealContent(content, ProtocolAddress.new(to, deviceId), certificate, stores);
          out.push({ destinationDeviceId: deviceId, destinationRegistrationId: sealed.registrationId, content: toBase64(sealed.ciphertext) });
        }
        return out; // the zone (ratchet steps) commits before anything leaves this device
      });
      try {
        await http.call(ENDPOINTS.sendMessages, { params: { accountId: to }, body: { messages, timestamp: content.sentAt } });
        return;
      } catch (err) {
        if (attempt >= SEND_ATTEMPTS) throw err;
        const repairs = await this.#d.devices.repair(err, to);
        if (!repairs) throw err;
        refetch = new Set(repairs.flatMap((r) => r.refetch));
        this.#d.logger.info({ attempt, code: (err as { code?: string }).code }, 'device list changed; retrying send');
      }
    }
  }

  /**
   * A bundle under another key than the one we hold for `to`: libsignal would refuse it for sending
   * without storing it, so record it here as changed and unaccepted ('block' policy), report it,
   * and refuse the send. `acceptIdentity` then accepts exactly this key.
   */
  #noteChangedKey(to: string, key: Uint8Array): void {
    if (this.#d.crypto.policy !== 'block') return;
    const existing = this.#d.store.getIdentity(to);
    const next = changedIdentity(existing, key, Date.now());
    if (!next) return;
    // The sessions are with the old key: once the new one is accepted, sending starts fresh ones.
    const zone = new Zone(this.#d.store);
    archiveSessions(zone, to, zone.getSessionDevices(to), true);
    zone.commit({ identities: [{ accountId: to, record: next }] });
    this.#d.events.emit('identity-changed', { accountId: to });
    throw new UntrustedIdentityError(to);
  }

  async #fetchBundles(to: string, which: Set<number> | 'all' | undefined): Promise<PreKeyBundleResponse[]> {
    if (which === undefined) return [];
    const http = this.#d.account.http;
    if (which === 'all') return [await http.call(ENDPOINTS.keyBundle, { params: { accountId: to, deviceId: '*' } })];
    return Promise.all([...which].map((d) => http.call(ENDPOINTS.keyBundle, { params: { accountId: to, deviceId: d } })));
  }
}
