import { randomBytes } from 'node:crypto';
import {
  ErrorCode as SignalErrorCode,
  IdentityKeyPair,
  LibSignalErrorBase,
  ProtocolAddress,
  PublicKey,
  SenderCertificate,
  SessionRecord,
} from '@signalapp/libsignal-client';
import type WebSocket from 'ws';
import {
  AccountId,
  DIRECT,
  ERROR,
  LIMITS,
  MESSAGE_DELIVER,
  MismatchedDevices,
  PreKeyBundleResponse,
  PROTOCOL_VERSION,
  QUEUE_EMPTY,
  QUEUE_OVERFLOW,
  RegisterResponse,
  RelayInfo,
  RESPONSE,
  ROUTES,
  SenderCertificateResponse,
  SendMessagesResponse,
  StaleDevices,
  type Content,
  type MessageDeliverFrame,
  type OutgoingMessage,
  type RegisterRequest,
  type ServerFrame,
} from '@aviso/protocol';
import { KeyManager } from './account/keys.js';
import type { GroupChangeEvent } from './crypto/group-chain.js';
import { sameBytes, sha256 } from './crypto/group-keys.js';
import { generateIdentity } from './crypto/prekeys.js';
import { safetyNumber } from './crypto/safety-number.js';
import { EnvelopeRejectedError, MissingSenderKeyError, openSealed, sealContent, type OpenedMessage, type RejectReason } from './crypto/sealed.js';
import { buildSessions } from './crypto/sessions.js';
import {
  AlreadyRegisteredError,
  ClientClosedError,
  InviteCodeError,
  MessageTooLargeError,
  NotRegisteredError,
  IdentityMismatchError,
  RelayRequestError,
  UntrustedIdentityError,
  type GroupWithheldError,
} from './errors.js';
import { normalizeDisplayName } from './groups/display-name.js';
import type { Group } from './groups/group.js';
import { GroupService, type CreateGroupInput } from './groups/group-service.js';
import { normalizeRelayUrl, parseInviteCode } from './groups/invite-code.js';
import { GroupMessaging, type DroppedAlert, type ReceiveOutcome } from './alerts/group-messaging.js';
import { MemberKeys } from './alerts/member-keys.js';
import type { Ack, Alert, AlertVerdict, AllClear, GroupText, Retraction } from './alerts/types.js';
import type { AccountRecord, AvisoStore, StoreChanges, UnprocessedEnvelope } from './stores/interfaces.js';
import { signalStores, type LocalKeys, type SignalStores } from './stores/libsignal-adapters.js';
import { changedIdentity, type IdentityPolicy } from './stores/trust.js';
import { MemoryStore } from './stores/memory/memory-store.js';
import { DataDirLock } from './stores/data-dir-lock.js';
import { SqliteStore } from './stores/sqlite/sqlite-store.js';
import { Zone } from './stores/zone.js';
import { RelayConnection, type ConnectionOptions, type ConnectionState } from './transport/connection.js';
import { basicAuthHeader, NoContent, RelayHttp, type FetchLike } from './transport/http.js';
import { copyBytes, fromBase64, toBase64, utf8Length } from './util/bytes.js';
import { TypedEmitter } from './util/emitter.js';
import { errInfo, silentLogger, type Logger } from './util/logger.js';
import { SerialQueue } from './util/serial-queue.js';

export interface AvisoClientOptions {
  /** Directory for the SQLite store; the same directory reopens the same identity. Omit for memory only. */
  dataDir?: string;
  logger?: Logger;
  fetch?: FetchLike;
  WebSocket?: typeof WebSocket;
  /** Reconnect and keepalive tuning. */
  connection?: Pick<ConnectionOptions, 'backoff' | 'keepalive'>;
  /** HTTP request timeout, ms. */
  requestTimeoutMs?: number;
  /** Bring your own store (tests, other backends). */
  store?: AvisoStore;
  /** How often known groups are synced while connected, ms. Default 30000; 0 disables polling. */
  groupSyncIntervalMs?: number;
  /**
   * What a changed identity key of a 1:1 contact does. 'block' (default): sending to them stops
   * (UntrustedIdentityError) until `acceptIdentity(accountId)`. 'trust': the new key is used at once
   * (only a key the user marked verified blocks), with an 'identity-changed' event: the old behaviour.
   */
  identityChanges?: IdentityPolicy;
}

/** A verified change to a group (or the relay refusing us: 'removed-from-group' without an actor). */
export type GroupEvent = GroupChangeEvent;

export interface DirectMessage {
  from: string;
  fromDevice: number;
  text: string;
  /** The sender's clock, ms. */
  sentAt: number;
  /** The relay's receipt time, ms (rounded to the minute by the relay). */
  serverTimestamp: number;
  guid: string;
}

export interface RejectedEnvelope {
  guid: string;
  reason: RejectReason;
  error: Error;
}

export interface AvisoClientEvents {
  direct: DirectMessage;
  rejected: RejectedEnvelope;
  'queue-overflow': { dropped: number };
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

const CERT_META = 'senderCertificate';
const CERT_REFRESH_MS = 3600_000;
const SEND_ATTEMPTS = 3;
/** An envelope that had to wait (its group could not be synced) is tried again after this long. */
const RETRY_LATER_MS = 30_000;
/** Dedupe rows are kept this long; the relay's queue TTL is shorter. */
const DEDUPE_RETENTION_MS = 30 * 24 * 3600_000;

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
  readonly #queue = new SerialQueue();
  readonly #keys: KeyManager;
  #http: RelayHttp | undefined;
  /** Cached: the account never changes once registered, and stays readable after close(). */
  #accountRecord: AccountRecord | undefined;
  #connection: RelayConnection | undefined;
  #drained: Deferred | undefined;
  #maintaining: Promise<void> | undefined;
  #lastSentAt = 0;
  #closed = false;
  #dataDirLock: DataDirLock | undefined;
  #retry: NodeJS.Timeout | undefined;
  readonly #groups: GroupService;
  readonly #messaging: GroupMessaging;
  readonly #memberKeys = new MemberKeys();

  private constructor(store: AvisoStore, local: LocalKeys, opts: AvisoClientOptions) {
    const logger = opts.logger ?? silentLogger;
    super(logger);
    this.#store = store;
    this.#local = local;
    this.#logger = logger;
    this.#opts = opts;
    this.#keys = new KeyManager(store, local.identityKeyPair, logger, Date.now);
    this.#accountRecord = store.getAccount();
    if (this.#accountRecord) this.#http = this.#httpFor(this.#accountRecord);
    this.#groups = new GroupService({
      store,
      identityKeyPair: local.identityKeyPair,
      account: () => this.#account(),
      http: () => {
        this.#account();
        return this.#http!;
      },
      emit: (event) => {
        this.#messaging.onGroupChange(event);
        this.emit('group', event);
      },
      emitError: (err) => this.emit('error', err),
      logger,
    });
    this.#messaging = new GroupMessaging({
      store,
      groups: this.#groups,
      account: () => this.#account(),
      http: () => {
        this.#account();
        return this.#http!;
      },
      certificate: () => this.#senderCertificate(),
      crypto: (peer, fn, extra) => this.#queue.run(() => this.#withZone((zone, stores) => fn(zone, stores), peer, extra)),
      sendDirect: (to, content, expect) => this.#sendContent(to, content, expect),
      nextSentAt: () => this.#nextSentAt(),
      emit: (event, group) => this.emit(event.type, event.payload as never, group),
      emitError: (err) => this.emit('error', err),
      emitMismatch: (err) => this.emit('identity-mismatch', err),
      emitWithheld: (err) => this.emit('group-withheld', err),
      emitDropped: (dropped) => this.emit('alert-dropped', dropped),
      logger,
    });
    this.#groups.messaging = this.#messaging;
  }

  /** Opens (or creates) the local identity. */
  static async open(opts: AvisoClientOptions = {}): Promise<AvisoClient> {
    // Locked before the store is opened or migrated; released if opening fails.
    const lock = opts.store === undefined && opts.dataDir !== undefined ? DataDirLock.acquire(opts.dataDir) : undefined;
    try {
      const client = await AvisoClient.#open(opts);
      client.#dataDirLock = lock;
      return client;
    } catch (err) {
      lock?.release();
      throw err;
    }
  }

  static async #open(opts: AvisoClientOptions): Promise<AvisoClient> {
    const store = opts.store ?? (opts.dataDir === undefined ? new MemoryStore() : SqliteStore.open(opts.dataDir));
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
    return this.#account().accountId;
  }

  get deviceId(): number {
    return this.#account().deviceId;
  }

  /** The relay this account is registered with (as given to register() or named by the invite code). */
  get relayUrl(): string {
    return this.#account().relayUrl;
  }

  get isRegistered(): boolean {
    return this.#accountRecord !== undefined;
  }

  /** Our identity public key (serialized), for display or out-of-band comparison. */
  get identityKey(): Uint8Array {
    return this.#local.identityKeyPair.publicKey.serialize();
  }

  /**
   * Registers this device with a relay using an operator-issued token. Pins the relay's trust root,
   * uploads the signed and last-resort keys, then 100 one-time EC and Kyber prekeys.
   */
  async register(input: { relayUrl: string; registrationToken: string }): Promise<{ accountId: string; deviceId: number }> {
    return this.#register(input, undefined);
  }

  async #register(input: { relayUrl: string; registrationToken: string }, expectTrustRootSha256: Uint8Array | undefined): Promise<{ accountId: string; deviceId: number }> {
    this.#assertOpen();
    const existing = this.#accountRecord;
    if (existing) throw new AlreadyRegisteredError(existing.accountId);
    const anonymous = new RelayHttp({ baseUrl: input.relayUrl, fetch: this.#opts.fetch, timeoutMs: this.#opts.requestTimeoutMs });
    const info = await anonymous.get(ROUTES.relayInfo, RelayInfo, false);
    if (info.protocolVersion !== PROTOCOL_VERSION) {
      throw new RelayRequestError({ code: 'UNSUPPORTED_VERSION', status: 426, retryable: false, message: `relay speaks protocol v${info.protocolVersion}` });
    }
    const trustRoot = fromBase64(info.trustRoot);
    // An invite names the relay's trust root: check it before giving this relay anything.
    if (expectTrustRootSha256 && !sameBytes(sha256(trustRoot), expectTrustRootSha256)) {
      throw new InviteCodeError('the relay\'s trust root does not match the fingerprint in the invite code');
    }
    PublicKey.deserialize(trustRoot); // fails early on a malformed key
    const signed = this.#keys.rotateSignedKeys();
    const password = randomBytes(32).toString('base64url');
    const body: RegisterRequest = {
      registrationToken: input.registrationToken,
      password,
      identityKey: toBase64(this.#local.identityKeyPair.publicKey.serialize()),
      registrationId: this.#local.registrationId,
      ...signed,
    };
    const res = await anonymous.post(ROUTES.accounts, body, RegisterResponse, false);
    const account: AccountRecord = { relayUrl: input.relayUrl, trustRoot, accountId: res.accountId, deviceId: res.deviceId, password };
    this.#store.commit({ account });
    this.#accountRecord = account;
    this.#http = this.#httpFor(account);
    this.#logger.info({ deviceId: res.deviceId }, 'registered');
    try {
      await this.#http.put(ROUTES.keys, this.#keys.generateOneTimeKeys(true, true), NoContent);
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
    this.#account();
    return this.#groups.createGroup(input.displayName === undefined ? input : { ...input, displayName: normalizeDisplayName(input.displayName) });
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
    const account = this.#accountRecord;
    if (!account) {
      if (code.registrationToken === undefined) throw new InviteCodeError('this client is not registered and the invite code carries no registration token');
      try {
        await this.#register({ relayUrl: code.relayUrl, registrationToken: code.registrationToken }, code.trustRootSha256);
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
    return this.#groups.join(code, opts);
  }

  /** Every group this device knows (including ones it left or was removed from), each synced first. */
  async groups(): Promise<Group[]> {
    this.#assertOpen();
    this.#account();
    return this.#groups.groups();
  }

  /** A known group by id (no network). */
  group(groupId: string): Group | undefined {
    return this.#store.getGroup(groupId) ? this.#groups.group(groupId) : undefined;
  }

  /**
   * Opens live delivery. First processes envelopes left unprocessed by a previous run, then
   * resolves once the relay reports `queue.empty` and every envelope before it was processed.
   */
  async connect(): Promise<void> {
    this.#assertOpen();
    const account = this.#account();
    if (this.#connection) return this.#drained?.promise;
    await this.#processLeftovers();
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
    const drained = (this.#drained = deferred());
    connection.on('state', (state) => {
      // Changes may have happened while we were away: each group syncs before its next message applies.
      if (state === 'open') this.#messaging.connectionOpened();
      this.emit('connection', state);
    });
    connection.on('frame', (frame) => this.#onFrame(frame));
    connection.on('error', (err) => {
      this.emit('error', err);
      if (connection.state === 'closed') {
        // Stopped for good (4409, refused upgrade): a later connect() starts over.
        if (this.#connection === connection) this.#connection = undefined;
        drained.reject(err);
      }
    });
    connection.start();
    this.#groups.startPolling(this.#opts.groupSyncIntervalMs ?? 30_000);
    this.#messaging.startCleanup();
    await Promise.all([drained.promise, this.#maintainKeys()]);
  }

  /** Sends a direct message to every device of `accountId`. Sealed sender: the relay does not learn who sent it. */
  async sendDirect(accountId: string, message: { text: string }): Promise<{ sentAt: number }> {
    this.#assertOpen();
    const account = this.#account();
    const to = AccountId.parse(accountId);
    if (to === account.accountId) throw new TypeError('sending a direct message to yourself is not supported');
    const bytes = utf8Length(message.text);
    if (bytes > LIMITS.maxTextBytes) throw new MessageTooLargeError(bytes, LIMITS.maxTextBytes);
    const sentAt = this.#nextSentAt();
    await this.#sendContent(to, { v: 1, sentAt, body: { type: DIRECT, text: message.text } }, this.#groupIdentityOf(to));
    return { sentAt };
  }

  /** The 60-digit safety number with `accountId`; fetches their keys (starting a session) if never seen. */
  async safetyNumber(accountId: string): Promise<string> {
    this.#assertOpen();
    const account = this.#account();
    const them = AccountId.parse(accountId);
    if (!this.#store.getIdentity(them)) {
      const bundle = await this.#http!.get(ROUTES.keyBundle.path(them, '*'), PreKeyBundleResponse);
      await this.#queue.run(() => this.#withZone(async (_zone, stores) => {
        await buildSessions(stores, this.#localAddress(account), them, bundle);
      }, them));
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

  /** Whether sending to `accountId` is blocked until `acceptIdentity` (its key changed and was not accepted). */
  identityBlocked(accountId: string): boolean {
    const identity = this.#store.getIdentity(AccountId.parse(accountId));
    return identity?.verified === 'unverified';
  }

  /** Stops delivery, waits for in-flight processing, closes the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    this.#drained?.reject(new ClientClosedError());
    this.#groups.stopPolling();
    this.#messaging.stopCleanup();
    if (this.#retry) clearTimeout(this.#retry);
    await connection?.close();
    await this.#messaging.idle().catch(() => undefined);
    await this.#queue.idle();
    await this.#groups.idle();
    await this.#maintaining?.catch(() => undefined);
    try {
      this.#store.close();
    } finally {
      this.#dataDirLock?.release();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- receiving ----

  #onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case MESSAGE_DELIVER:
        this.#onDeliver(frame);
        return;
      case QUEUE_EMPTY: {
        const drained = this.#drained;
        void this.#queue.idle().then(() => {
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

  /** Persist, then acknowledge, then process (in order, one at a time). Never ack what is not stored. */
  #onDeliver(frame: MessageDeliverFrame): void {
    const envelope: UnprocessedEnvelope = { ...frame.envelope, receivedAt: Date.now() };
    try {
      this.#store.commit({ addUnprocessed: [envelope] });
    } catch (err) {
      this.#logger.error(errInfo(err), 'could not persist envelope; not acknowledging');
      this.#connection?.send({ type: RESPONSE, id: frame.id, status: 500 });
      return;
    }
    this.#connection?.send({ type: RESPONSE, id: frame.id, status: 200 });
    void this.#queue.run(() => this.#process(envelope));
  }

  /** Processes left-over envelopes again in a while (once), while connected. */
  #retryLater(): void {
    if (this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#connection && !this.#closed) void this.#processLeftovers().catch((err: unknown) => this.#logger.warn(errInfo(err), 'retrying envelopes failed'));
    }, RETRY_LATER_MS);
    this.#retry.unref();
  }

  async #processLeftovers(): Promise<void> {
    for (const envelope of this.#store.listUnprocessed()) void this.#queue.run(() => this.#process(envelope));
    await this.#queue.idle();
  }

  async #process(envelope: UnprocessedEnvelope): Promise<void> {
    const { guid } = envelope;
    const now = Date.now();
    const done = { processedEnvelopes: [{ guid, processedAt: now }], removeUnprocessed: [guid] };
    const reject = (reason: RejectReason, error: Error) => {
      this.#store.commit(done); // the zone is dropped: a refused message changes no session or sender key
      this.#logger.warn({ guid, reason }, 'envelope rejected');
      this.emit('rejected', { guid, reason, error });
    };
    try {
      if (this.#store.isEnvelopeProcessed(guid)) {
        this.#store.commit({ removeUnprocessed: [guid] });
        return;
      }
      const account = this.#account();
      const zone = new Zone(this.#store);
      const stores = signalStores(zone, this.#local, Date.now, this.#policy);
      let opened: OpenedMessage;
      try {
        opened = await openSealed({
          ciphertext: fromBase64(envelope.content),
          serverTimestamp: envelope.serverTimestamp,
          trustRoot: PublicKey.deserialize(copyBytes(account.trustRoot)),
          localAccountId: account.accountId,
          localDeviceId: account.deviceId,
          stores,
        });
      } catch (err) {
        const reason: RejectReason = err instanceof EnvelopeRejectedError ? err.reason : 'decrypt-failed';
        reject(reason, err instanceof Error ? err : new Error(String(err)));
        if (err instanceof MissingSenderKeyError) {
          this.#messaging.requestResend({ sender: err.sender, groupId: err.groupId, distributionId: err.distributionId, serverTimestamp: envelope.serverTimestamp });
        }
        return;
      }
      const id = { sender: opened.sender, device: opened.senderDevice, sentAt: opened.content.sentAt };
      if (this.#store.isMessageProcessed(id)) {
        // A second copy of a message we already have: keep the ratchet step, surface nothing.
        zone.commit(done);
        this.emit('rejected', { guid, reason: 'duplicate', error: new EnvelopeRejectedError('duplicate', 'message already received') });
        return;
      }
      const outcome = await this.#handle(opened, envelope, stores);
      if (outcome.ok === 'later') {
        // Nothing committed: the envelope stays unprocessed and is opened again later.
        this.#logger.info({ guid }, outcome.message);
        this.#retryLater();
        return;
      }
      if (!outcome.ok) {
        reject(outcome.reason, new EnvelopeRejectedError(outcome.reason, outcome.message));
        return;
      }
      zone.commit({ ...outcome.changes, ...done, processedMessages: [{ ...id, processedAt: now }], pruneProcessedBefore: now - DEDUPE_RETENTION_MS });
      for (const accountId of zone.changedIdentities) this.emit('identity-changed', { accountId });
      outcome.after();
    } catch (err) {
      // Store failure: the unprocessed row stays and is retried on the next connect.
      this.#logger.error({ guid, ...errInfo(err) }, 'envelope processing failed');
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** What a decrypted message does: rows to commit with its zone, and what to surface after. */
  async #handle(opened: OpenedMessage, envelope: UnprocessedEnvelope, stores: SignalStores): Promise<ReceiveOutcome> {
    const { content } = opened;
    if (content.body.type !== DIRECT) return this.#messaging.receive(opened, stores);
    if (opened.via !== 'session') return { ok: false, reason: 'invalid-envelope', message: 'a direct message arrived through a sender key' };
    const message: DirectMessage = {
      from: opened.sender,
      fromDevice: opened.senderDevice,
      text: content.body.text,
      sentAt: content.sentAt,
      serverTimestamp: envelope.serverTimestamp,
      guid: envelope.guid,
    };
    return { ok: true, changes: {}, after: () => this.emit('direct', message) };
  }

  // ---- sending ----

  /**
   * The identity key a verified group log binds to `accountId`, if we share a group with them: a
   * direct message to a fellow member goes only to that key, from the first contact on.
   */
  #groupIdentityOf(accountId: string): { groupId: string; identityKey: Uint8Array | undefined } | undefined {
    for (const rec of this.#store.listGroups()) {
      if (rec.status !== 'member') continue;
      for (const m of Object.values(rec.state.members)) if (m.accountId === accountId) return { groupId: rec.groupId, identityKey: this.#memberKeys.keyOf(m) };
    }
    return undefined;
  }

  get #policy(): IdentityPolicy {
    return this.#opts.identityChanges ?? 'block';
  }

  /**
   * Seals `content` for every device of `to`. With `expect` (a group member: SKDMs, resends) only to
   * the identity key the verified group log binds to them: a bundle or session under any other key
   * throws IdentityMismatchError before anything is encrypted.
   */
  async #sendContent(to: string, content: Content, expect?: { groupId: string; identityKey: Uint8Array | undefined }): Promise<void> {
    const account = this.#account();
    const http = this.#http!;
    const certificate = await this.#senderCertificate();
    let refetch: Set<number> | 'all' | undefined;
    let archive = new Set<number>();
    const mismatch = (reason: 'key-mismatch' | 'no-verified-key') => new IdentityMismatchError(expect!.groupId, to, 'sending', reason);
    if (expect && !expect.identityKey) throw mismatch('no-verified-key');
    for (let attempt = 1; ; attempt++) {
      if (refetch === undefined && this.#currentDevices(to).length === 0) refetch = 'all';
      const bundles = await this.#fetchBundles(to, refetch);
      for (const bundle of bundles) {
        const key = fromBase64(bundle.identityKey);
        if (expect && !sameBytes(key, expect.identityKey!)) throw mismatch('key-mismatch');
        if (!expect) this.#noteChangedKey(to, key);
      }
      const messages = await this.#queue.run(() =>
        this.#withZone(async (zone, stores) => {
          for (const deviceId of archive) {
            const raw = zone.getSession(to, deviceId);
            if (!raw) continue;
            const record = SessionRecord.deserialize(copyBytes(raw));
            record.archiveCurrentState();
            zone.setSession(to, deviceId, record.serialize());
          }
          for (const bundle of bundles) await buildSessions(stores, this.#localAddress(account), to, bundle);
          // A session may predate the log (a 1:1 contact) or come from a message under another key.
          const stored = zone.getIdentity(to);
          if (expect && (!stored || !sameBytes(stored.publicKey, expect.identityKey!))) throw mismatch('key-mismatch');
          const out: OutgoingMessage[] = [];
          for (const deviceId of this.#currentDevices(to, zone)) {
            const sealed = await sealContent(content, ProtocolAddress.new(to, deviceId), certificate, stores);
            out.push({ destinationDeviceId: deviceId, destinationRegistrationId: sealed.registrationId, content: toBase64(sealed.ciphertext) });
          }
          return out; // the zone (ratchet steps) commits before anything leaves this device
        }, to),
      );
      try {
        await http.put(ROUTES.messages.path(to), { messages, timestamp: content.sentAt }, SendMessagesResponse);
        return;
      } catch (err) {
        if (!(err instanceof RelayRequestError) || attempt >= SEND_ATTEMPTS) throw err;
        if (err.code === 'MISMATCHED_DEVICES') {
          const d = MismatchedDevices.parse(err.details);
          archive = new Set(d.extraDevices);
          refetch = new Set(d.missingDevices);
        } else if (err.code === 'STALE_DEVICES') {
          const d = StaleDevices.parse(err.details);
          archive = new Set(d.staleDevices);
          refetch = new Set(d.staleDevices);
        } else {
          throw err;
        }
        this.#logger.info({ attempt, code: err.code }, 'device list changed; retrying send');
      }
    }
  }

  /**
   * A bundle under another key than the one we hold for `to`: libsignal would refuse it for sending
   * without storing it, so record it here as changed and unaccepted ('block' policy), report it,
   * and refuse the send. `acceptIdentity` then accepts exactly this key.
   */
  #noteChangedKey(to: string, key: Uint8Array): void {
    if (this.#policy !== 'block') return;
    const existing = this.#store.getIdentity(to);
    const next = changedIdentity(existing, key, Date.now());
    if (!next) return;
    // The sessions are with the old key: once the new one is accepted, sending starts fresh ones.
    const zone = new Zone(this.#store);
    for (const deviceId of zone.getSessionDevices(to)) {
      const raw = zone.getSession(to, deviceId);
      if (!raw) continue;
      const record = SessionRecord.deserialize(copyBytes(raw));
      if (!record.hasCurrentState()) continue;
      record.archiveCurrentState();
      zone.setSession(to, deviceId, record.serialize());
    }
    zone.commit({ identities: [{ accountId: to, record: next }] });
    this.emit('identity-changed', { accountId: to });
    throw new UntrustedIdentityError(to);
  }

  async #fetchBundles(to: string, which: Set<number> | 'all' | undefined): Promise<PreKeyBundleResponse[]> {
    if (which === undefined) return [];
    const http = this.#http!;
    if (which === 'all') return [await http.get(ROUTES.keyBundle.path(to, '*'), PreKeyBundleResponse)];
    return Promise.all([...which].map((d) => http.get(ROUTES.keyBundle.path(to, d), PreKeyBundleResponse)));
  }

  /** Devices of `accountId` with a usable (current, unarchived) session. */
  #currentDevices(accountId: string, zone: Zone = new Zone(this.#store)): number[] {
    return zone.getSessionDevices(accountId).filter((d) => {
      const raw = zone.getSession(accountId, d);
      return raw !== undefined && SessionRecord.deserialize(copyBytes(raw)).hasCurrentState();
    });
  }

  /** Runs crypto over a fresh zone and commits it with nothing else; maps identity refusals. */
  async #withZone<T>(fn: (zone: Zone, stores: ReturnType<typeof signalStores>) => Promise<T>, peer: string, extra?: (result: T) => StoreChanges): Promise<T> {
    const zone = new Zone(this.#store);
    let result: T;
    try {
      result = await fn(zone, signalStores(zone, this.#local, Date.now, this.#policy));
    } catch (err) {
      if (err instanceof LibSignalErrorBase && err.is(SignalErrorCode.UntrustedIdentity)) throw new UntrustedIdentityError(peer, { cause: err });
      throw err;
    }
    zone.commit(extra?.(result));
    for (const accountId of zone.changedIdentities) this.emit('identity-changed', { accountId });
    return result;
  }

  async #senderCertificate(): Promise<SenderCertificate> {
    const account = this.#account();
    const cached = this.#store.getMeta(CERT_META);
    if (cached) {
      const { certificate, expiresAt } = JSON.parse(cached) as { certificate: string; expiresAt: number };
      if (expiresAt - Date.now() > CERT_REFRESH_MS) return SenderCertificate.deserialize(fromBase64(certificate));
    }
    const res = await this.#http!.get(ROUTES.senderCertificate, SenderCertificateResponse);
    const certificate = SenderCertificate.deserialize(fromBase64(res.certificate));
    // Recipients would reject a certificate that does not chain to the pinned root; fail here instead.
    if (!certificate.validate(PublicKey.deserialize(copyBytes(account.trustRoot)), Date.now())) {
      throw new RelayRequestError({ code: 'BAD_RESPONSE', status: 200, retryable: false, message: 'sender certificate does not chain to the pinned trust root' });
    }
    if (certificate.senderUuid() !== account.accountId || certificate.senderDeviceId() !== account.deviceId) {
      throw new RelayRequestError({ code: 'BAD_RESPONSE', status: 200, retryable: false, message: 'sender certificate is for another device' });
    }
    this.#store.commit({ meta: { [CERT_META]: JSON.stringify({ certificate: res.certificate, expiresAt: res.expiresAt }) } });
    return certificate;
  }

  // ---- plumbing ----

  #maintainKeys(): Promise<void> {
    if (!this.#maintaining) {
      const http = this.#http!;
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

  /** Unique, increasing sender timestamps: (sender, device, sentAt) is the message's identity. */
  #nextSentAt(): number {
    this.#lastSentAt = Math.max(Date.now(), this.#lastSentAt + 1);
    return this.#lastSentAt;
  }

  #localAddress(account: AccountRecord): ProtocolAddress {
    return ProtocolAddress.new(account.accountId, account.deviceId);
  }

  #account(): AccountRecord {
    if (!this.#accountRecord) throw new NotRegisteredError();
    return this.#accountRecord;
  }

  #httpFor(account: AccountRecord): RelayHttp {
    return new RelayHttp({ baseUrl: account.relayUrl, credentials: account, fetch: this.#opts.fetch, timeoutMs: this.#opts.requestTimeoutMs });
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClientClosedError();
  }
}

