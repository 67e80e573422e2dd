import { ErrorCode as SignalErrorCode, LibSignalErrorBase, ProtocolAddress } from '@signalapp/libsignal-client';
import { ENDPOINTS, LIMITS, type Content, type OutgoingMessage, type PreKeyBundleResponse, type SendBatchDestination } from '@aviso/protocol';
import type { Account } from '../account/account.js';
import type { SenderCertificates } from '../account/sender-certificate.js';
import { MemberKeys } from '../alerts/member-keys.js';
import { sameBytes } from '../crypto/group-keys.js';
import { sealContent } from '../crypto/sealed.js';
import { buildSessions } from '../crypto/sessions.js';
import { IdentityMismatchError, RelayRequestError, UntrustedIdentityError } from '../errors.js';
import type { AvisoStore } from '../stores/interfaces.js';
import { changedIdentity } from '../stores/trust.js';
import { Zone } from '../stores/zone.js';
import { forEachBounded } from '../util/bounded.js';
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

/** One recipient of `sendMany`: a fellow member, under the key the group log binds to them. */
export interface DirectItem {
  to: string;
  content: Content;
  expect: ExpectedKey;
}

/**
 * A batched send's body stays well under the relay's `maxBodyBytes` (768 KiB): a destination with
 * new sessions carries a PQXDH prekey message per device (about 2.5 KiB of base64 each).
 */
const BATCH_BODY_BYTES = 512 * 1024;
/** Batched sends in flight at once: one is on the wire while the next is sealed. */
const BATCH_PARALLEL = 2;
/** Single sends in flight at once for the recipients a batch could not take. */
const SINGLE_PARALLEL = 8;
/** Relay answers to a batch that mean "not here": send those recipients one by one. */
const NO_BATCH_CODES: readonly string[] = ['NOT_FOUND', 'BAD_REQUEST', 'PAYLOAD_TOO_LARGE'];

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
   * `send` to many fellow members at once (a sender key's SKDMs), in batched requests
   * (`POST /v1/messages/batch`, up to LIMITS.maxSendBatchDestinations each): each recipient with a
   * session is sealed in its own zone under the same key checks as `send`; a recipient without one,
   * or one the relay refused in the batch (its devices changed), goes through `send` on its own,
   * which fetches bundles and repairs. Resolves with each recipient's outcome: undefined when sent,
   * or what `send` would have thrown.
   */
  async sendMany(items: readonly DirectItem[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    const single: DirectItem[] = [];
    const certificate = await this.#d.certificates.current();
    const chunks: DirectItem[][] = [];
    for (const item of items) {
      if (!item.expect.identityKey) out.set(item.to, new IdentityMismatchError(item.expect.groupId, item.to, 'sending', 'no-verified-key'));
      else if (this.#d.devices.currentDevices(item.to).length === 0) single.push(item);
      else {
        if ((chunks.at(-1)?.length ?? LIMITS.maxSendBatchDestinations) >= LIMITS.maxSendBatchDestinations) chunks.push([]);
        chunks.at(-1)!.push(item);
      }
    }
    await forEachBounded(chunks, BATCH_PARALLEL, async (chunk) => {
      // The whole chunk is sealed in one zone: one store commit (one fsync) for its ratchet steps,
      // not one per recipient, and still before anything leaves this device.
      const sealed: Array<{ item: DirectItem; destination: SendBatchDestination }> = [];
      await this.#d.crypto.inZone(chunk[0]!.expect.groupId, async (zone, stores) => {
        for (const item of chunk) {
          try {
            const stored = zone.getIdentity(item.to);
            if (!stored || !sameBytes(stored.publicKey, item.expect.identityKey!)) throw new IdentityMismatchError(item.expect.groupId, item.to, 'sending', 'key-mismatch');
            const messages: OutgoingMessage[] = [];
            for (const deviceId of this.#d.devices.currentDevices(item.to, zone)) {
              const m = await sealContent(item.content, ProtocolAddress.new(item.to, deviceId), certificate, stores);
              messages.push({ destinationDeviceId: deviceId, destinationRegistrationId: m.registrationId, content: toBase64(m.ciphertext) });
            }
            sealed.push({ item, destination: { accountId: item.to, messages, timestamp: item.content.sentAt } as SendBatchDestination });
          } catch (err) {
            // libsignal checks trust before it advances a ratchet: nothing of this recipient's is in the zone.
            out.set(item.to, err instanceof LibSignalErrorBase && err.is(SignalErrorCode.UntrustedIdentity) ? new UntrustedIdentityError(item.to, { cause: err }) : err);
          }
        }
      });
      // Split by size as well as count; a part the relay will not take as a batch is sent one by one.
      const parts: (typeof sealed)[] = [];
      let bytes = 0;
      for (const s of sealed) {
        const size = s.destination.messages.reduce((n, m) => n + m.content.length + 64, 64);
        if (parts.length === 0 || bytes + size > BATCH_BODY_BYTES) {
          parts.push([]);
          bytes = 0;
        }
        parts.at(-1)!.push(s);
        bytes += size;
      }
      for (const part of parts) {
        let results;
        try {
          results = (await this.#d.account.http.call(ENDPOINTS.sendMessagesBatch, { body: { destinations: part.map((p) => p.destination) } })).results;
        } catch (err) {
          if (!(err instanceof RelayRequestError) || !NO_BATCH_CODES.includes(err.code)) throw err;
          this.#d.logger.info({ code: err.code, recipients: part.length }, 'batched send refused; sending one by one');
          single.push(...part.map((p) => p.item));
          continue;
        }
        const byAccount = new Map<string, (typeof results)[number]>(results.map((r) => [r.accountId, r]));
        for (const p of part) {
          const r = byAccount.get(p.item.to);
          if (r?.stored !== undefined && r.error === undefined) out.set(p.item.to, undefined);
          else single.push(p.item); // refused (devices changed, rate limited) or not answered: on its own, with repairs
        }
      }
    });
    await forEachBounded(single, SINGLE_PARALLEL, async (item) => {
      try {
        await this.send(item.to, item.content, item.expect);
        out.set(item.to, undefined);
      } catch (err) {
        out.set(item.to, err);
      }
    });
    return out;
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
