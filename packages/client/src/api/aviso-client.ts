import { randomBytes } from 'node:crypto';
import { IdentityKeyPair, ProtocolAddress, PublicKey } from '@signalapp/libsignal-client';
import type WebSocket from 'ws';
import {
  AccountId,
  DIRECT,
  ENDPOINTS,
  ERROR,
  LIMITS,
  MESSAGE_DELIVER,
  PROTOCOL_VERSION,
  QUEUE_EMPTY,
  QUEUE_OVERFLOW,
  ROUTES,
  parseFingerprint,
  type RegisterRequest,
  type ServerFrame,
} from '@aviso/protocol';
import { Account } from '../account/account.js';
import { relayFingerprintOf, trustRootOf, type RelayFingerprint } from '../account/relay-fingerprint.js';
import { KeyManager } from '../account/keys.js';
import { SenderCertificates } from '../account/sender-certificate.js';
import type { Ack, Alert, AlertVerdict, AllClear, DroppedAlert, GroupText, Retraction } from '../alerts/types.js';
import type { GroupChangeEvent } from '../crypto/group-chain.js';
import { sameBytes, sha256 } from '../crypto/group-keys.js';
import { generateIdentity } from '../crypto/prekeys.js';
import { safetyNumber } from '../crypto/safety-number.js';
import { buildSessions } from '../crypto/sessions.js';
import {
  AlreadyRegisteredError,
  ClientClosedError,
  InviteCodeError,
  MessageTooLargeError,
  IdentityMismatchError,
  NotPassphraseProtectedError,
  RelayFingerprintMismatchError,
  RelayRequestError,
  type GroupWithheldError,
} from '../errors.js';
import { normalizeDisplayName } from '../groups/display-name.js';
import { GroupAuth } from '../groups/group-auth.js';
import { checkRetention, GroupLog, type CreateGroupInput } from '../groups/group-log.js';
import { normalizeRelayUrl, parseInviteCode } from '../groups/invite-code.js';
import { CryptoQueue } from '../messaging/crypto-queue.js';
import { DeviceSync } from '../messaging/device-sync.js';
import { DirectSender } from '../messaging/direct.js';
import { directRetentionChange, readDirectRetention } from '../messaging/direct-retention.js';
import { GroupReceiver } from '../messaging/group-receiver.js';
import { GroupSender } from '../messaging/group-sender.js';
import { Inbox, type DirectMessage, type DrainProgress, type RejectedEnvelope } from '../messaging/inbox.js';
import { SentClock } from '../messaging/sent-clock.js';
import type { AccountRecord, AvisoStore } from '../stores/interfaces.js';
import type { LocalKeys } from '../stores/libsignal-adapters.js';
import type { IdentityPolicy } from '../stores/trust.js';
import { DataDirLock } from '../stores/data-dir-lock.js';
import { MemoryStore } from '../stores/memory/memory-store.js';
import { SqliteStore } from '../stores/sqlite/sqlite-store.js';
import type { StoreSecret } from '../stores/sqlite/store-key.js';
import { asDiskFull, changeStorePassphrase, clearStoreDuressPassphrase, setStoreDuressPassphrase, unlockStore } from '../stores/sqlite/unlock.js';
import { removeFolderIfEmpty, wipeLocked } from '../stores/sqlite/wipe.js';
import { RelayConnection, type ConnectionOptions, type ConnectionState } from '../transport/connection.js';
import { basicAuthHeader, type FetchLike, type RelayHttp } from '../transport/http.js';
import { copyBytes, toBase64, utf8Length } from '../util/bytes.js';
import { TypedEmitter } from '../util/emitter.js';
import type { EventSink } from '../util/events.js';
import { errInfo, silentLogger, type Logger } from '../util/logger.js';
import { AlertBook } from './alert-book.js';
import { Group } from './group.js';

export type { DirectMessage, DrainProgress, RejectedEnvelope } from '../messaging/inbox.js';

export interface AvisoClientOptions {
  /** Directory for the SQLite store; the same directory reopens the same identity. Omit for memory only. */
  dataDir?: string;
  /**
   * Encrypts the store in `dataDir` at rest: its key is wrapped by this passphrase (scrypt,
   * AES-256-GCM). A plain store is encrypted in place on the first open with one. Omit both this and
   * `keyFile` for a plain store (unprotected at rest).
   */
  passphrase?: string;
  /**
   * Encrypts the store in `dataDir` with the raw 256-bit key in this file (32 bytes or 64 hex
   * digits; `createKeyFile` makes one), for unattended bots. Keep it off the data folder's disk:
   * whoever has both has the store.
   */
  keyFile?: string;
  logger?: Logger;
  fetch?: FetchLike;
  WebSocket?: typeof WebSocket;
  /** Reconnect and keepalive tuning. */
  connection?: Pick<ConnectionOptions, 'backoff' | 'keepalive'>;
  /** HTTP request timeout, ms. */
  requestTimeoutMs?: number;
  /** Bring your own store (tests, other backends). */
  store?: AvisoStore;
  /** `drain-progress` at most this often while a backlog drains, ms. Default 250; 0 reports after every run of envelopes. */
  drainProgressMs?: number;
  /** How often known groups are synced while connected, ms. Default 30000; 0 disables polling. */
  groupSyncIntervalMs?: number;
  /**
   * Tell the group of our changes with a `group-update`, and pass on those members tell us 1:1
   * (docs/alerts.md "Reaching new members at once"). Default true; false leaves the others to learn
   * at their next poll (a bot that only reads, or a test that counts every message).
   */
  announceChanges?: boolean;
  /**
   * How long `sendAlert` waits for a sync of the group log before it sends, ms, so that members who
   * joined since the last poll receive the alert (docs/alerts.md "Reaching new members at once").
   * Default 1000; 0 sends with the state already verified.
   */
  alertSyncWaitMs?: number;
  /**
   * What a changed identity key of a 1:1 contact does. 'block' (default): sending to them stops
   * (UntrustedIdentityError) until `acceptIdentity(accountId)`. 'trust': the new key is used at once
   * (only a key the user marked verified blocks), with an 'identity-changed' event: the old behaviour.
   */
  identityChanges?: IdentityPolicy;
  /**
   * An admin's client writes a group checkpoint when the log grew by this many changes since the
   * last one, and before it creates an invite if the last one is that far behind (docs/groups.md
   * "Checkpoints"). Default `CHECKPOINT_EVERY` (1,000); smaller values are for tests.
   */
  checkpointEvery?: number;
}

/** A verified change to a group (or the relay refusing us: 'removed-from-group' without an actor). */
export type GroupEvent = GroupChangeEvent;

export interface AvisoClientEvents {
  direct: DirectMessage;
  rejected: RejectedEnvelope;
  'queue-overflow': { dropped: number };
  /** A long offline drain: at most every 250 ms while it lasts, then once with `complete` (docs/sdk.md "Offline drain"). */
  'drain-progress': DrainProgress;
  'identity-changed': { accountId: string };
  /** A group member's key from the relay is not the verified log's: not encrypted to, or its message dropped. */
  'identity-mismatch': IdentityMismatchError;
  /** A member's message named a group version the relay will not serve: it is withholding changes. */
  'group-withheld': GroupWithheldError;
  /** An alert already surfaced was taken out of the book (its sender was removed from the group). */
  'alert-dropped': DroppedAlert;
  group: GroupEvent;
  error: Error;
  connection: ConnectionState;
  /** Group messages: listeners get `(payload, group)`. */
  alert: Alert;
  ack: Ack;
  confirm: AlertVerdict;
  dispute: AlertVerdict;
  retract: Retraction;
  'all-clear': AllClear;
  text: GroupText;
}

/** The second listener argument of group-message events: the group it belongs to. */
export interface AvisoClientEventContexts {
  alert: Group;
  ack: Group;
  confirm: Group;
  dispute: Group;
  retract: Group;
  'all-clear': Group;
  text: Group;
}

/**
 * Our changes the group hears of from us (a `group-update`): those that change who is in it, their
 * roles or the group's settings. Invites change nobody's membership until someone joins, and that
 * joiner announces its join itself.
 */
const ANNOUNCED: ReadonlySet<GroupEvent['type']> = new Set(['member-joined', 'member-removed', 'role-changed', 'title-changed', 'access-changed']);

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * The Aviso SDK: one device of one account. Wires the layers: account (registration, keys) →
 * crypto (sans-I/O, over a Zone per operation) → stores, with transport (HTTP + WebSocket) beside.
 *
 * @example
 * const client = await AvisoClient.open({ dataDir: './alice' });
 * await client.register({ relayUrl: 'http://127.0.0.1:8080', registrationToken });
 * client.on('direct', (m) => show(m.from, m.text));
 * await client.connect();
 * await client.sendDirect(bobAccountId, { text: 'ICE at 5th and Main' });
 */
export class AvisoClient extends TypedEmitter<AvisoClientEvents, AvisoClientEventContexts> {
  readonly #store: AvisoStore;
  readonly #local: LocalKeys;
  readonly #logger: Logger;
  readonly #opts: AvisoClientOptions;
  readonly #keys: KeyManager;
  readonly #account: Account;
  readonly #crypto: CryptoQueue;
  readonly #direct: DirectSender;
  readonly #inbox: Inbox;
  readonly #log: GroupLog;
  readonly #sender: GroupSender;
  readonly #receiver: GroupReceiver;
  readonly #book: AlertBook;
  readonly #clock = new SentClock();
  readonly #handles = new Map<string, Group>();
  #connection: RelayConnection | undefined;
  #drained: Deferred | undefined;
  #maintaining: Promise<void> | undefined;
  #closed = false;
  // Held here, not only by the lock's own closure: a lock connection nothing references can be
  // garbage-collected, and the OS lock would go with it.
  #dataDirLock: DataDirLock | undefined;

  /**
   * Wiring, bottom up: account → crypto queue → device sync → 1:1 sender → group log (over group
   * auth) → group messaging → inbox. Every layer reports through one event sink; this facade only
   * turns a group id into its `Group` handle and lets the alert book see verified changes first.
   */
  private constructor(store: AvisoStore, local: LocalKeys, opts: AvisoClientOptions) {
    const logger = opts.logger ?? silentLogger;
    super(logger);
    this.#store = store;
    this.#local = local;
    this.#logger = logger;
    this.#opts = opts;
    this.#keys = new KeyManager(store, local.identityKeyPair, logger, Date.now);
    const events: EventSink<AvisoClientEvents> = {
      emit: (event, payload, groupId) => {
        if (event === 'group') {
          const change = payload as GroupEvent;
          this.#book.onGroupChange(change);
          // Someone new: our sender key goes to them now, not when the next alert is due.
          if (change.type === 'member-joined') void this.#sender.distributeAhead(change.groupId);
          // Our own change: the others hear of it from us now, not at their next poll.
          if (change.actor !== undefined && change.actor === this.#account.record.accountId && ANNOUNCED.has(change.type)) void this.#sender.announceChange(change.groupId);
        }
        this.emit(event, payload, (groupId === undefined ? undefined : this.#handle(groupId)) as never);
      },
    };
    const account = (this.#account = new Account(store, { fetch: opts.fetch, timeoutMs: opts.requestTimeoutMs }));
    const crypto = (this.#crypto = new CryptoQueue(store, local, opts.identityChanges ?? 'block', events));
    const devices = new DeviceSync(store, crypto);
    const certificates = new SenderCertificates(store, account);
    this.#direct = new DirectSender({ store, account, crypto, devices, certificates, events, logger });
    const auth = new GroupAuth(account);
    this.#log = new GroupLog({ store, identityKeyPair: local.identityKeyPair, account, auth, events, logger, checkpointEvery: opts.checkpointEvery });
    this.#sender = new GroupSender({ store, log: this.#log, auth, account, certificates, crypto, devices, direct: this.#direct, clock: this.#clock, events, logger, ...(opts.alertSyncWaitMs === undefined ? {} : { alertSyncWaitMs: opts.alertSyncWaitMs }), announceChanges: opts.announceChanges ?? true });
    this.#receiver = new GroupReceiver({ store, log: this.#log, sender: this.#sender, direct: this.#direct, clock: this.#clock, events, logger });
    this.#book = new AlertBook(store, events, logger);
    this.#inbox = new Inbox({ store, account, crypto, groups: this.#receiver, events, logger, ...(opts.drainProgressMs === undefined ? {} : { progressMs: opts.drainProgressMs }) });
    // Retention (docs/alerts.md "Retention"): what is past its deadline goes before anything is read.
    this.#book.start();
  }

  /** Opens (or creates) the local identity. */
  static async open(opts: AvisoClientOptions = {}): Promise<AvisoClient> {
    const secret = secretOf(opts);
    // Locked before the store is unlocked, converted, opened or migrated; released if opening fails.
    const lock = opts.store === undefined && opts.dataDir !== undefined ? DataDirLock.acquire(opts.dataDir) : undefined;
    try {
      let store = opts.store;
      if (store === undefined && opts.dataDir !== undefined) {
        const { dbKey } = await unlockStore(opts.dataDir, secret);
        try {
          store = SqliteStore.open(opts.dataDir, dbKey ? { key: dbKey } : {});
        } finally {
          dbKey?.fill(0);
        }
      }
      const client = await AvisoClient.#open(store ?? new MemoryStore(), opts);
      client.#dataDirLock = lock;
      return client;
    } catch (err) {
      lock?.release();
      // Opening a store writes (a journal, the -shm, migrations): on a full disk say so, not "I/O error".
      throw opts.dataDir === undefined ? err : asDiskFull(err, opts.dataDir);
    }
  }

  static async #open(store: AvisoStore, opts: AvisoClientOptions): Promise<AvisoClient> {
    let identity = store.getLocalIdentity();
    if (!identity) {
      const fresh = generateIdentity();
      identity = { identityKeyPair: fresh.identityKeyPair.serialize(), registrationId: fresh.registrationId };
      store.commit({ localIdentity: identity });
    }
    const local = { identityKeyPair: IdentityKeyPair.deserialize(copyBytes(identity.identityKeyPair)), registrationId: identity.registrationId };
    return new AvisoClient(store, local, opts);
  }

  get accountId(): string {
    return this.#account.record.accountId;
  }

  get deviceId(): number {
    return this.#account.record.deviceId;
  }

  /** The relay this account is registered with (as given to register() or named by the invite code). */
  get relayUrl(): string {
    return this.#account.record.relayUrl;
  }

  get isRegistered(): boolean {
    return this.#account.registered !== undefined;
  }

  /** Our identity public key (serialized), for display or out-of-band comparison. */
  get identityKey(): Uint8Array {
    return this.#local.identityKeyPair.publicKey.serialize();
  }

  /**
   * The fingerprint of the relay this account pinned at registration (its trust root's SHA-256, in
   * the groups `aviso-relay info` prints), for the member to compare with their organiser's.
   * NotRegisteredError before registration.
   */
  get relayFingerprint(): RelayFingerprint {
    return relayFingerprintOf(this.#account.record.trustRoot);
  }

  /**
   * Registers this device with a relay using an operator-issued token. Pins the relay's trust root,
   * uploads the signed and last-resort keys, then 100 one-time EC and Kyber prekeys.
   *
   * `expectFingerprint` (64 hex digits, as `fetchRelayFingerprint` or `aviso-relay info` gave them;
   * spaces and capitals ignored) makes registration refuse, with RelayFingerprintMismatchError and
   * before anything is sent, a relay whose trust root is not that one. RangeError when it is not 64
   * hex digits.
   */
  async register(input: { relayUrl: string; registrationToken: string; expectFingerprint?: string | undefined }): Promise<{ accountId: string; deviceId: number }> {
    const expected = input.expectFingerprint === undefined ? undefined : parseFingerprint(input.expectFingerprint);
    return this.#register(input, expected === undefined ? undefined : { sha256: Buffer.from(expected, 'hex'), source: 'checked' });
  }

  /**
   * `beforeSpending` runs once the relay's trust root checked out and before the token is sent: a
   * token is spent by the register call, so whatever can still fail (a damaged invite) fails there.
   */
  async #register(
    input: { relayUrl: string; registrationToken: string },
    expect: { sha256: Uint8Array; source: 'invite' | 'checked' } | undefined,
    beforeSpending?: (anonymous: RelayHttp) => Promise<void>,
  ): Promise<{ accountId: string; deviceId: number }> {
    this.#assertOpen();
    const existing = this.#account.registered;
    if (existing) throw new AlreadyRegisteredError(existing.accountId);
    const anonymous = this.#account.anonymous(input.relayUrl);
    const info = await anonymous.call(ENDPOINTS.relayInfo, {});
    if (info.protocolVersion !== PROTOCOL_VERSION) {
      throw new RelayRequestError({ code: 'UNSUPPORTED_VERSION', status: 426, retryable: false, message: `relay speaks protocol v${info.protocolVersion}` });
    }
    const trustRoot = trustRootOf(info); // fails early on a malformed key
    // An invite, or the fingerprint the member compared, names the relay's trust root: check it
    // before giving this relay anything.
    if (expect && !sameBytes(sha256(trustRoot), expect.sha256)) {
      if (expect.source === 'invite') throw new InviteCodeError('the relay\'s trust root does not match the fingerprint in the invite code');
      throw new RelayFingerprintMismatchError(relayFingerprintOf(trustRoot).sha256Hex, Buffer.from(expect.sha256).toString('hex'));
    }
    await beforeSpending?.(anonymous);
    const signed = this.#keys.rotateSignedKeys();
    const password = randomBytes(32).toString('base64url');
    const body: RegisterRequest = {
      registrationToken: input.registrationToken,
      password,
      identityKey: toBase64(this.#local.identityKeyPair.publicKey.serialize()),
      registrationId: this.#local.registrationId,
      ...signed,
    };
    const res = await anonymous.call(ENDPOINTS.register, { body });
    const account: AccountRecord = { relayUrl: input.relayUrl, trustRoot, accountId: res.accountId, deviceId: res.deviceId, password };
    this.#store.commit({ account });
    this.#account.set(account);
    this.#logger.info({ deviceId: res.deviceId }, 'registered');
    try {
      await this.#account.http.call(ENDPOINTS.setKeys, { body: this.#keys.generateOneTimeKeys(true, true) });
    } catch (err) {
      // The account exists; connect() tops keys up again.
      this.#logger.warn(errInfo(err), 'one-time prekey upload failed after registration');
    }
    return { accountId: res.accountId, deviceId: res.deviceId };
  }

  // ---- groups ----

  /** Creates a private group with this account as its only member and admin. */
  async createGroup(input: CreateGroupInput): Promise<Group> {
    this.#assertOpen();
    void this.#account.record;
    return this.#handle(await this.#log.createGroup(input.displayName === undefined ? input : { ...input, displayName: normalizeDisplayName(input.displayName) }));
  }

  /**
   * Joins a group with an invite code. An unregistered client registers with the code's token, after
   * checking the relay's trust root against the code; a registered one only accepts codes for its own
   * relay and pinned trust root. The whole log is verified before the join (or join request) is sent.
   */
  async join(inviteCode: string, opts: { displayName?: string } = {}): Promise<Group> {
    this.#assertOpen();
    const code = parseInviteCode(inviteCode);
    // Before registering: a refused name must not leave a half-joined account behind.
    if (opts.displayName !== undefined) opts = { ...opts, displayName: normalizeDisplayName(opts.displayName) };
    const account = this.#account.registered;
    if (!account) {
      if (code.registrationToken === undefined) throw new InviteCodeError('this client is not registered and the invite code carries no registration token');
      try {
        // The token shares the invite's uses: a code damaged in transit (a key or secret that still
        // parses) must fail on the invite's join info, which spends nothing, not after registering.
        await this.#register({ relayUrl: code.relayUrl, registrationToken: code.registrationToken }, { sha256: code.trustRootSha256, source: 'invite' }, (anonymous) => this.#log.checkInvite(code, anonymous));
      } catch (err) {
        // The token shares the invite's uses and expiry: a spent token means a spent invite.
        if (err instanceof RelayRequestError && err.code === 'INVALID_TOKEN') {
          throw new RelayRequestError({ code: 'INVITE_INVALID', status: 410, retryable: false, message: 'the invite code is expired or used up (its registration token was refused)' }, { cause: err });
        }
        throw err;
      }
    } else {
      if (normalizeRelayUrl(code.relayUrl) !== normalizeRelayUrl(account.relayUrl)) throw new InviteCodeError('the invite code is for another relay');
      if (!sameBytes(sha256(account.trustRoot), code.trustRootSha256)) throw new InviteCodeError('the invite code names another trust root than the pinned one');
    }
    return this.#handle(await this.#log.join(code, opts));
  }

  /** Every group this device knows (including ones it left or was removed from), each synced first. */
  async groups(): Promise<Group[]> {
    this.#assertOpen();
    void this.#account.record;
    return (await this.#log.groups()).map((id) => this.#handle(id));
  }

  /** A known group by id (no network). */
  group(groupId: string): Group | undefined {
    return this.#store.getGroup(groupId) ? this.#handle(groupId) : undefined;
  }

  /**
   * Opens live delivery. First processes envelopes left unprocessed by a previous run, then
   * resolves once the relay's `queue.empty` came (it follows the last envelope the relay had queued
   * for this device when the socket opened) and every envelope before it is stored, acknowledged,
   * processed, durably committed and surfaced (its event emitted). A long drain reports
   * `drain-progress` on the way (docs/sdk.md "Offline drain").
   */
  async connect(): Promise<void> {
    this.#assertOpen();
    const account = this.#account.record;
    if (this.#connection) return this.#drained?.promise;
    await this.#inbox.processLeftovers();
    const url = new URL(ROUTES.websocket, account.relayUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const connection = new RelayConnection({
      url: url.toString(),
      headers: () => ({ authorization: basicAuthHeader(account) }),
      logger: this.#logger,
      WebSocket: this.#opts.WebSocket,
      backoff: this.#opts.connection?.backoff,
      keepalive: this.#opts.connection?.keepalive,
    });
    this.#connection = connection;
    this.#inbox.attach(connection);
    const drained = (this.#drained = deferred());
    connection.on('state', (state) => {
      // Changes may have happened while we were away: each group syncs before its next message applies.
      if (state === 'open') {
        this.#receiver.connectionOpened();
        this.#inbox.beginDrain();
      }
      this.emit('connection', state);
    });
    connection.on('frame', (frame) => this.#onFrame(frame));
    connection.on('error', (err) => {
      this.emit('error', err);
      if (connection.state === 'closed') {
        // Stopped for good (4409, refused upgrade): a later connect() starts over.
        if (this.#connection === connection) {
          this.#connection = undefined;
          this.#inbox.detach();
        }
        drained.reject(err);
      }
    });
    connection.start();
    this.#log.startPolling(this.#opts.groupSyncIntervalMs ?? 30_000);
    await Promise.all([drained.promise, this.#maintainKeys()]);
    this.#sender.goLive();
  }

  /** Sends a direct message to every device of `accountId`. Sealed sender: the relay does not learn who sent it. */
  async sendDirect(accountId: string, message: { text: string }): Promise<{ sentAt: number }> {
    this.#assertOpen();
    const account = this.#account.record;
    const to = AccountId.parse(accountId);
    if (to === account.accountId) throw new TypeError('sending a direct message to yourself is not supported');
    const bytes = utf8Length(message.text);
    if (bytes > LIMITS.maxTextBytes) throw new MessageTooLargeError(bytes, LIMITS.maxTextBytes);
    const sentAt = this.#clock.next();
    const retentionSeconds = readDirectRetention(this.#store, to);
    await this.#direct.send(to, { v: 1, sentAt, body: { type: DIRECT, text: message.text, retentionSeconds } }, this.#direct.groupIdentityOf(to));
    return { sentAt };
  }

  /**
   * How long direct messages with `accountId` are kept, in seconds (`RETENTION_LIMITS`, default 24
   * hours; RetentionRangeError outside it). Stored on this device and carried in every direct message
   * to them: each side keeps a message for the shorter of the two settings (`DirectMessage.deleteAt`).
   */
  setDirectRetention(accountId: string, seconds: number): void {
    this.#assertOpen();
    this.#store.commit(directRetentionChange(AccountId.parse(accountId), checkRetention(seconds)));
  }

  /** This device's retention for direct messages with `accountId`, in seconds. */
  directRetention(accountId: string): number {
    return readDirectRetention(this.#store, AccountId.parse(accountId));
  }

  /** The 60-digit safety number with `accountId`; fetches their keys (starting a session) if never seen. */
  async safetyNumber(accountId: string): Promise<string> {
    this.#assertOpen();
    const account = this.#account.record;
    const them = AccountId.parse(accountId);
    if (!this.#store.getIdentity(them)) {
      const bundle = await this.#account.http.call(ENDPOINTS.keyBundle, { params: { accountId: them, deviceId: '*' } });
      await this.#crypto.inZone(them, async (_zone, stores) => {
        await buildSessions(stores, ProtocolAddress.new(account.accountId, account.deviceId), them, bundle);
      });
    }
    const identity = this.#store.getIdentity(them);
    if (!identity) throw new Error('no identity key for that account');
    return safetyNumber(account.accountId, this.#local.identityKeyPair.publicKey, them, PublicKey.deserialize(copyBytes(identity.publicKey)));
  }

  /**
   * Marks the peer's current key as verified (sending then stops if it changes), or, with false,
   * accepts it as merely trusted (also clears the block after a verified key changed).
   */
  setVerified(accountId: string, verified: boolean): void {
    this.#assertOpen();
    const them = AccountId.parse(accountId);
    const identity = this.#store.getIdentity(them);
    if (!identity) throw new Error('no identity key for that account');
    this.#store.commit({ identities: [{ accountId: them, record: { ...identity, verified: verified ? 'verified' : 'default' } }] });
  }

  /**
   * Accepts the contact's current identity key after it changed (an 'identity-changed' event, or
   * UntrustedIdentityError from a send): sending to them works again. Compare safety numbers first
   * when you can (`safetyNumber`): a changed key is what a relay substituting keys looks like too.
   * Returns false when there was nothing to accept (the key never changed or was already accepted).
   */
  acceptIdentity(accountId: string): boolean {
    this.#assertOpen();
    const them = AccountId.parse(accountId);
    const identity = this.#store.getIdentity(them);
    if (!identity) throw new Error('no identity key for that account');
    if (identity.verified !== 'unverified') return false;
    this.#store.commit({ identities: [{ accountId: them, record: { ...identity, verified: 'default' } }] });
    return true;
  }

  /** Whether the user marked `accountId`'s current key as verified (`setVerified`); false when never seen. */
  isVerified(accountId: string): boolean {
    return this.#store.getIdentity(AccountId.parse(accountId))?.verified === 'verified';
  }

  /** Whether sending to `accountId` is blocked until `acceptIdentity` (its key changed and was not accepted). */
  identityBlocked(accountId: string): boolean {
    const identity = this.#store.getIdentity(AccountId.parse(accountId));
    return identity?.verified === 'unverified';
  }

  /** Stops delivery, waits for in-flight processing, closes the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#shutdown();
    } finally {
      this.#dataDirLock?.release();
    }
  }

  /**
   * Panic wipe: closes the client, then destroys the store in `dataDir` while still holding its
   * lock: the key material first (the key file given to open(), then the wrapped key), then the
   * database files, then the folder if nothing else is in it (docs/sdk.md "Wiping a store"). After
   * it returns nothing on disk decrypts, with or without the passphrase; kill -9 part-way leaves
   * either the store as it was or nothing decryptable (open() then says STORE_WIPED and
   * `wipeDataDir` finishes). A memory-only client is just closed.
   */
  async wipe(): Promise<void> {
    if (this.#opts.store !== undefined) throw new TypeError('wipe() destroys the store in dataDir; a store passed as `store` is the caller\'s to destroy');
    if (this.#closed) throw new ClientClosedError();
    const dataDir = this.#opts.dataDir;
    try {
      await this.#shutdown();
      if (dataDir !== undefined) wipeLocked(dataDir, this.#opts.keyFile === undefined ? {} : { keyFile: this.#opts.keyFile });
    } finally {
      this.#dataDirLock?.release();
    }
    if (dataDir !== undefined) removeFolderIfEmpty(dataDir);
  }

  /** close() without releasing the data folder's lock (wipe() keeps it until the files are gone). */
  async #shutdown(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    this.#drained?.reject(new ClientClosedError());
    this.#log.stopPolling();
    const bindings = this.#log.stopBindings();
    this.#sender.stop();
    this.#book.stop();
    // What is already here is processed and answered on the open socket before it closes.
    if (connection) await this.#inbox.quiesce().catch(() => undefined);
    this.#inbox.detach();
    await connection?.close();
    await this.#sender.idle().catch(() => undefined);
    await this.#crypto.idle();
    await bindings;
    await this.#log.idle();
    await this.#maintaining?.catch(() => undefined);
    this.#store.close();
  }

  /**
   * Rewraps the store's key under `newPassphrase` (the database is not rewritten). Throws
   * WrongPassphraseError if `oldPassphrase` is not the current one, NotPassphraseProtectedError for
   * a plain or key-file store.
   */
  async changePassphrase(oldPassphrase: string, newPassphrase: string): Promise<void> {
    this.#assertOpen();
    const dataDir = this.#opts.store === undefined ? this.#opts.dataDir : undefined;
    if (dataDir === undefined) throw new NotPassphraseProtectedError('', 'none');
    await changeStorePassphrase(dataDir, oldPassphrase, newPassphrase);
  }

  /**
   * A front end's own setting (the name it joins with, how soon it locks), kept in the store and so
   * encrypted with it: what identifies a user stays out of plain files beside it. Undefined if unset.
   */
  appSetting(key: string): string | undefined {
    this.#assertOpen();
    return this.#store.getMeta(appSettingKey(key));
  }

  /** Saves a front end's setting: a key of 1 to 64 of [A-Za-z0-9._-], a value of at most 4096 characters (RangeError otherwise). */
  setAppSetting(key: string, value: string): void {
    this.#assertOpen();
    if (typeof value !== 'string' || value.length > APP_SETTING_MAX_CHARS) throw new RangeError(`an app setting is a string of at most ${APP_SETTING_MAX_CHARS} characters`);
    this.#store.commit({ meta: { [appSettingKey(key)]: value } });
  }

  /**
   * Sets (or replaces) a duress passphrase (docs/sdk.md "Duress passphrase"): from then on, open()
   * with it looks like any unlock but replaces this store by an empty one and destroys the real key.
   * `passphrase` must be the store's current one (WrongPassphraseError); the two must differ
   * (PassphraseConflictError); NotPassphraseProtectedError for a plain or key-file store. Only the
   * key file is rewritten.
   */
  async setDuressPassphrase(passphrase: string, duressPassphrase: string): Promise<void> {
    await setStoreDuressPassphrase(this.#passphraseDataDir(), passphrase, duressPassphrase);
  }

  /** Removes the duress passphrase, if one is set (the file does not say whether one was). */
  async clearDuressPassphrase(passphrase: string): Promise<void> {
    await clearStoreDuressPassphrase(this.#passphraseDataDir(), passphrase);
  }

  #passphraseDataDir(): string {
    this.#assertOpen();
    const dataDir = this.#opts.store === undefined ? this.#opts.dataDir : undefined;
    if (dataDir === undefined) throw new NotPassphraseProtectedError('', 'none');
    return dataDir;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- receiving ----

  #onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case MESSAGE_DELIVER:
        this.#inbox.deliver(frame);
        return;
      case QUEUE_EMPTY: {
        const drained = this.#drained;
        // Every delivery before queue.empty: stored, acknowledged, processed, synced and surfaced.
        void this.#inbox.settle().then(() => {
          this.#inbox.endDrain();
          drained?.resolve();
          void this.#maintainKeys();
        });
        return;
      }
      case QUEUE_OVERFLOW:
        this.emit('queue-overflow', { dropped: frame.dropped });
        return;
      case ERROR:
        this.#logger.warn({ code: frame.code, id: frame.id }, 'relay reported an error');
        return;
      default:
        return; // pong is answered inside the connection
    }
  }

  // ---- plumbing ----

  #maintainKeys(): Promise<void> {
    if (!this.#maintaining) {
      const http = this.#account.http;
      this.#maintaining = this.#keys
        .maintain(http)
        .catch((err: unknown) => {
          this.#logger.warn(errInfo(err), 'key maintenance failed');
          this.emit('error', err instanceof Error ? err : new Error(String(err)));
        })
        .finally(() => {
          this.#maintaining = undefined;
        });
    }
    return this.#maintaining;
  }

  /** The `Group` handle for a known group id (one per group, so listeners may compare them). */
  #handle(groupId: string): Group {
    let g = this.#handles.get(groupId);
    if (!g) this.#handles.set(groupId, (g = new Group(this.#log, this.#sender, this.#book, groupId)));
    return g;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClientClosedError();
  }
}

const APP_SETTING_MAX_CHARS = 4096;

function appSettingKey(key: string): string {
  if (typeof key !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(key)) throw new RangeError('an app setting key is 1 to 64 of A-Z, a-z, 0-9, ".", "_", "-"');
  return `app:${key}`;
}

function secretOf(opts: AvisoClientOptions): StoreSecret | undefined {
  if (opts.passphrase !== undefined && opts.keyFile !== undefined) throw new TypeError('give AvisoClient.open a passphrase or a keyFile, not both');
  if ((opts.passphrase !== undefined || opts.keyFile !== undefined) && (opts.dataDir === undefined || opts.store !== undefined)) {
    throw new TypeError('passphrase and keyFile encrypt the store in dataDir: give a dataDir and no store');
  }
  if (opts.passphrase !== undefined) {
    if (opts.passphrase.length === 0) throw new RangeError('the passphrase is empty');
    return { passphrase: opts.passphrase };
  }
  return opts.keyFile === undefined ? undefined : { keyFile: opts.keyFile };
}
