import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Aci, PrivateKey, PublicKey, SenderCertificate, ServerCertificate } from '@signalapp/libsignal-client';
import SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  decodeClientFrame,
  encodeFrame,
  errorBody,
  GROUP_HEADERS,
  GROUP_SEND,
  parseBasicCredentials,
  ProtocolError,
  SendMessagesRequest,
  WS_SUBPROTOCOL,
  type Envelope,
  type PreKeyBundleResponse,
} from '@aviso/protocol';
import {
  AuthCredentialPresentation,
  GroupPublicParams,
  GroupSendDerivedKeyPair,
  GroupSendEndorsementsResponse,
  GroupSendFullToken,
  ServerZkAuthOperations,
  UuidCiphertext,
} from '../../src/crypto/zkgroup.js';
import { FakeGroupRelay } from './fake-group-relay.js';

interface Device {
  bundle: PreKeyBundleResponse;
  registrationId: number;
}

/**
 * FakeGroupRelay plus what group alerts need: prekey bundles (token or Basic auth), sender
 * certificates, 1:1 and multi-recipient sends (real SSv2 parsing, real endorsement tokens, 409/410),
 * endorsements, and delivery over a real WebSocket on 127.0.0.1. Tests reach into the queues to
 * play a dishonest relay.
 */
export class FakeAlertRelay extends FakeGroupRelay {
  readonly wss: WebSocketServer;
  readonly serverKey = PrivateKey.generate();
  readonly serverCert = ServerCertificate.new(1, this.serverKey.getPublicKey(), this.trustRootKey);
  readonly devices = new Map<string, Device>();
  readonly queues = new Map<string, Envelope[]>();
  /** Every multi-recipient body as uploaded. */
  readonly uploads: Array<{ body: Uint8Array; token: string | undefined; authorization: string | undefined }> = [];
  readonly bundleFetches: Array<{ accountId: string; auth: 'token' | 'basic' }> = [];
  refuseTokenKeyFetch = false;
  readonly #sockets = new Map<string, WebSocket>();
  readonly #inflight = new Map<WebSocket, Map<number, string>>();
  #frameId = 1;

  private constructor(wss: WebSocketServer) {
    super();
    this.wss = wss;
    this.url = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    wss.on('connection', (socket, req) => this.#onConnection(socket, req.headers.authorization));
  }

  static async start(): Promise<FakeAlertRelay> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (p) => (p.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false) });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return new FakeAlertRelay(wss);
  }

  async close(): Promise<void> {
    for (const s of this.wss.clients) s.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  /** The per-recipient payloads every upload held for `accountId` (what the relay would deliver). */
  uploadsFor(accountId: string): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const u of this.uploads) {
      try {
        const msg = new SealedSenderMultiRecipientMessage(new Uint8Array(u.body));
        const r = msg.recipientsByServiceIdString()[accountId];
        if (r) out.push(msg.messageForRecipient(r));
      } catch {
        // not a parseable upload
      }
    }
    return out;
  }

  addDevice(accountId: string, bundle: PreKeyBundleResponse): void {
    this.devices.set(accountId, { bundle, registrationId: bundle.devices[0]!.registrationId });
  }

  enqueue(accountId: string, content: Uint8Array | string): void {
    const envelope: Envelope = {
      guid: randomUUID(),
      serverTimestamp: Math.floor(Date.now() / 60_000) * 60_000,
      content: typeof content === 'string' ? content : Buffer.from(content).toString('base64'),
    };
    const q = this.queues.get(accountId) ?? [];
    q.push(envelope);
    this.queues.set(accountId, q);
    const socket = this.#sockets.get(accountId);
    if (socket) this.#push(socket, envelope);
  }

  protected override async handleFetch(input: string, init: RequestInit): Promise<Response> {
    const url = new URL(input);
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
    const method = init.method ?? 'GET';
    try {
      const out = this.#route(method, url, headers, init.body);
      if (out === undefined) return super.handleFetch(input, init);
      this.seen.push({ method, path: url.pathname, headers });
      return json(200, out.body);
    } catch (err) {
      if (err instanceof ProtocolError) return json(err.status, errorBody(err));
      throw err;
    }
  }

  #route(method: string, url: URL, headers: Record<string, string>, raw: unknown): { body: unknown } | undefined {
    const path = url.pathname;
    if (method === 'GET' && path === '/v1/keys') {
      this.#account(headers);
      return { body: { count: 100, pqCount: 100 } };
    }
    if (method === 'PUT' && path === '/v1/keys') {
      this.#account(headers);
      return { body: {} };
    }
    if (method === 'GET' && path === '/v1/certificate/delivery') {
      const accountId = this.#account(headers);
      const d = this.devices.get(accountId)!;
      const expiresAt = Date.now() + 86_400_000;
      const cert = SenderCertificate.new(accountId, null, 1, PublicKey.deserialize(Buffer.from(d.bundle.identityKey, 'base64')), expiresAt, this.serverCert, this.serverKey);
      return { body: { certificate: b64(cert.serialize()), expiresAt } };
    }
    const keys = /^\/v1\/keys\/([0-9a-f-]{36})\/(\*|\d+)$/.exec(path);
    if (method === 'GET' && keys) {
      const accountId = keys[1]!;
      const token = headers[GROUP_SEND.tokenHeader];
      if (token !== undefined) {
        if (headers.authorization !== undefined) throw new ProtocolError('BAD_REQUEST', 'one kind of auth');
        if (this.refuseTokenKeyFetch) throw new ProtocolError('UNAUTHORIZED', 'no token fetches here');
        this.#verifyToken(token, [accountId]);
        this.bundleFetches.push({ accountId, auth: 'token' });
      } else {
        this.#account(headers);
        this.bundleFetches.push({ accountId, auth: 'basic' });
      }
      const d = this.devices.get(accountId);
      if (!d) throw new ProtocolError('NOT_FOUND', 'no such account');
      const device = d.bundle.devices[0]!;
      const { preKey, ...rest } = device;
      // The one-time EC key is handed out once.
      if (preKey) this.devices.set(accountId, { ...d, bundle: { ...d.bundle, devices: [rest] } });
      return { body: { identityKey: d.bundle.identityKey, devices: [device] } };
    }
    if (method === 'PUT' && path === '/v1/messages/multi_recipient') {
      const token = headers[GROUP_SEND.tokenHeader];
      const body = raw instanceof Uint8Array ? raw : new Uint8Array();
      this.uploads.push({ body, token, authorization: headers.authorization });
      if (headers.authorization !== undefined) throw new ProtocolError('BAD_REQUEST', 'group sends carry no account credentials');
      if (headers['content-type'] !== GROUP_SEND.contentType) throw new ProtocolError('BAD_REQUEST', 'content type');
      if (token === undefined) throw new ProtocolError('UNAUTHORIZED', 'no token');
      const msg = new SealedSenderMultiRecipientMessage(new Uint8Array(body));
      const recipients = msg.recipientsByServiceIdString();
      this.#verifyToken(token, Object.keys(recipients));
      const mismatched = [];
      const stale = [];
      for (const [accountId, r] of Object.entries(recipients)) {
        const d = this.devices.get(accountId);
        const missing = d && !r.deviceIds.includes(1) ? [1] : [];
        const extra = r.deviceIds.filter((x) => x !== 1 || !d);
        if (missing.length || extra.length) mismatched.push({ accountId, missingDevices: missing, extraDevices: extra });
        else if (r.registrationIds[0] !== d!.registrationId) stale.push({ accountId, staleDevices: [1] });
      }
      if (mismatched.length) throw new ProtocolError('MISMATCHED_DEVICES', 'devices', { details: { accounts: mismatched } });
      if (stale.length) throw new ProtocolError('STALE_DEVICES', 'stale', { details: { accounts: stale } });
      for (const [accountId, r] of Object.entries(recipients)) this.enqueue(accountId, msg.messageForRecipient(r));
      return { body: { stored: Object.keys(recipients).length } };
    }
    const direct = /^\/v1\/messages\/([0-9a-f-]{36})$/.exec(path);
    if (method === 'PUT' && direct) {
      this.#account(headers);
      const accountId = direct[1]!;
      const d = this.devices.get(accountId);
      if (!d) throw new ProtocolError('NOT_FOUND', 'no such account');
      const req = SendMessagesRequest.parse(JSON.parse(String(raw)));
      const ids = req.messages.map((m) => m.destinationDeviceId);
      if (!ids.includes(1) || ids.length !== 1) throw new ProtocolError('MISMATCHED_DEVICES', 'devices', { details: { missingDevices: ids.includes(1) ? [] : [1], extraDevices: ids.filter((x) => x !== 1) } });
      if (req.messages[0]!.destinationRegistrationId !== d.registrationId) throw new ProtocolError('STALE_DEVICES', 'stale', { details: { staleDevices: [1] } });
      for (const m of req.messages) this.enqueue(accountId, m.content);
      return { body: { stored: req.messages.length } };
    }
    const endorse = /^\/v1\/groups\/([0-9a-f]{64})\/endorsements$/.exec(path);
    if (method === 'GET' && endorse) {
      if (headers.authorization !== undefined) throw new ProtocolError('BAD_REQUEST', 'group requests carry no account credentials');
      const g = this.groups.get(endorse[1]!);
      if (!g) throw new ProtocolError('NOT_FOUND', 'no group');
      const actor = this.#presentation(headers, g.publicParams);
      if (!g.member(actor)) throw new ProtocolError('NOT_A_MEMBER', 'not a member');
      const members = this.endorsementMembers?.([...g.members.keys()]) ?? [...g.members.keys()];
      const expiration = Math.floor(Date.now() / 86_400_000) * 86_400 + 2 * 86_400;
      const kp = GroupSendDerivedKeyPair.forExpiration(new Date(expiration * 1000), this.zk);
      const response = GroupSendEndorsementsResponse.issue(members.map((m) => new UuidCiphertext(new Uint8Array(Buffer.from(m, 'base64')))), kp);
      return { body: { expiration, members, response: b64(response.serialize()), publicParams: g.publicParams } };
    }
    return undefined;
  }

  /** A dishonest relay may change the member list it issues endorsements for. */
  endorsementMembers: ((members: string[]) => string[]) | undefined;

  #verifyToken(token: string, accountIds: string[]): void {
    try {
      const t = new GroupSendFullToken(new Uint8Array(Buffer.from(token, 'base64')));
      t.verify(
        accountIds.map((a) => Aci.fromUuid(a)),
        GroupSendDerivedKeyPair.forExpiration(t.getExpiration(), this.zk),
      );
    } catch {
      throw new ProtocolError('UNAUTHORIZED', 'bad group send token');
    }
  }

  #presentation(headers: Record<string, string>, publicParams: string): string {
    const raw = headers[GROUP_HEADERS.presentation];
    if (raw === undefined) throw new ProtocolError('UNAUTHORIZED', 'no presentation');
    try {
      const pres = new AuthCredentialPresentation(new Uint8Array(Buffer.from(raw, 'base64')));
      new ServerZkAuthOperations(this.zk).verifyAuthCredentialPresentation(new GroupPublicParams(new Uint8Array(Buffer.from(publicParams, 'base64'))), pres);
      return b64(pres.getUuidCiphertext().serialize());
    } catch {
      throw new ProtocolError('UNAUTHORIZED', 'bad presentation');
    }
  }

  #account(headers: Record<string, string>): string {
    const raw = headers.authorization?.replace(/^Basic /, '');
    const creds = raw === undefined ? undefined : parseBasicCredentials(Buffer.from(raw, 'base64').toString('utf8'));
    if (!creds || !this.devices.has(creds.accountId)) throw new ProtocolError('UNAUTHORIZED', 'who?');
    return creds.accountId;
  }

  #onConnection(socket: WebSocket, authorization: string | undefined): void {
    let accountId: string;
    try {
      accountId = this.#account({ ...(authorization === undefined ? {} : { authorization }) });
    } catch {
      socket.close(4401);
      return;
    }
    this.#sockets.set(accountId, socket);
    this.#inflight.set(socket, new Map());
    socket.on('message', (data) => {
      const frame = decodeClientFrame(data.toString());
      if (frame.type === 'response') {
        const guid = this.#inflight.get(socket)?.get(frame.id);
        if (guid !== undefined && frame.status < 300) {
          const q = this.queues.get(accountId) ?? [];
          this.queues.set(accountId, q.filter((e) => e.guid !== guid));
        }
      } else if (frame.type === 'ping') socket.send(encodeFrame({ type: 'pong', id: frame.id }));
    });
    socket.on('close', () => {
      if (this.#sockets.get(accountId) === socket) this.#sockets.delete(accountId);
    });
    for (const e of this.queues.get(accountId) ?? []) this.#push(socket, e);
    socket.send(encodeFrame({ type: 'queue.empty' }));
  }

  #push(socket: WebSocket, envelope: Envelope): void {
    const id = this.#frameId++;
    this.#inflight.get(socket)?.set(id, envelope.guid);
    socket.send(encodeFrame({ type: 'message.deliver', id, envelope }));
  }
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}
