import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Aci, PrivateKey, PublicKey } from '@signalapp/libsignal-client';
import {
  AppendChangeRequest,
  CreateGroupRequest,
  ERROR_CODES,
  errorBody,
  evaluateChange,
  GROUP_HEADERS,
  parseBasicCredentials,
  ProtocolError,
  type ErrorCode,
  type GroupChangeRecord,
  type GroupEffect,
  type GroupView,
  type InviteInfo,
  type MemberInfo,
  type PendingInfo,
} from '@aviso/protocol';
import { changeHash } from '../../src/crypto/group-chain.js';
import { ZERO_HASH } from '../../src/crypto/group-keys.js';
import { AuthCredentialPresentation, GroupPublicParams, ServerSecretParams, ServerZkAuthOperations } from '../../src/crypto/zkgroup.js';
import type { AccountRecord } from '../../src/stores/interfaces.js';
import type { FetchLike } from '../../src/transport/http.js';

/** The relay's view of one group: ciphertexts only, maintained from the rules' effects. */
class RelayGroup implements GroupView {
  members = new Map<string, MemberInfo>();
  pendings = new Map<string, PendingInfo>();
  banned = new Set<string>();
  invites = new Map<string, InviteInfo & { passwordHash: string }>();

  /** Chain head and signature check, as the relay's GroupsService supplies them. */
  authenticity(groupId: string) {
    const last = this.log.at(-1);
    return {
      groupId,
      headHash: last ? changeHash(last) : ZERO_HASH,
      headAt: last?.at,
      now: Date.now(),
      verify: (key: string, message: string, sig: string) => {
        try {
          return PublicKey.deserialize(Buffer.from(key, 'base64')).verify(Buffer.from(message, 'utf8'), Buffer.from(sig, 'base64'));
        } catch {
          return false;
        }
      },
    };
  }
  membersCanInvite = false;
  log: GroupChangeRecord[] = [];
  constructor(readonly publicParams: string) {}
  get version(): number {
    return this.log.length - 1;
  }
  get memberCount(): number {
    return this.members.size;
  }
  get adminCount(): number {
    return [...this.members.values()].filter((m) => m.role === 'admin').length;
  }
  member(m: string) {
    return this.members.get(m);
  }
  pending(m: string) {
    return this.pendings.get(m);
  }
  isBanned(m: string) {
    return this.banned.has(m);
  }
  invite(id: string) {
    return this.invites.get(id);
  }
  apply(effects: GroupEffect[]): void {
    for (const e of effects) {
      if (e.type === 'member.put') this.members.set(e.member, { role: e.role, inviteId: e.inviteId, signingKey: e.signingKey ?? this.members.get(e.member)?.signingKey });
      else if (e.type === 'member.delete') this.members.delete(e.member);
      else if (e.type === 'pending.put') this.pendings.set(e.member, { inviteId: e.inviteId, signingKey: e.signingKey });
      else if (e.type === 'pending.delete') this.pendings.delete(e.member);
      else if (e.type === 'banned.put') this.banned.add(e.member);
      else if (e.type === 'invite.put') this.invites.set(e.inviteId, { ...e.invite, passwordHash: e.passwordHash });
      else if (e.type === 'invite.use') this.invites.get(e.inviteId)!.uses++;
      else if (e.type === 'invite.revoke') this.invites.get(e.inviteId)!.revoked = true;
      else if (e.type === 'access.set') this.membersCanInvite = e.membersCanInvite;
    }
  }
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

/**
 * An in-process relay for the group routes, reached through the SDK's `fetch` option. It verifies
 * presentations with real zkgroup server params and enforces the shared rules on ciphertexts, like
 * the real relay; tests reach into `groups` to play a dishonest operator.
 */
export class FakeGroupRelay {
  url = 'http://relay.test';
  readonly trustRootKey = PrivateKey.generate();
  readonly trustRoot = this.trustRootKey.getPublicKey().serialize();
  readonly zk = ServerSecretParams.generate();
  readonly groups = new Map<string, RelayGroup>();
  readonly seen: SeenRequest[] = [];
  readonly #salts = new Map<string, Uint8Array>();
  tokensForbidden = false;
  conflictOnce = false;

  /** A registered account record for a client store. */
  newAccount(): AccountRecord {
    const accountId = randomUUID();
    this.#salts.set(accountId, randomBytes(32));
    return { relayUrl: this.url, trustRoot: this.trustRoot, accountId, deviceId: 1, password: randomBytes(16).toString('hex') };
  }

  snapshot(groupId: string): RelayGroup {
    return structuredCloneGroup(this.groups.get(groupId)!);
  }
  restore(groupId: string, g: RelayGroup): void {
    this.groups.set(groupId, structuredCloneGroup(g));
  }

  readonly fetch: FetchLike = (input, init) => this.handleFetch(input, init);

  protected async handleFetch(input: string, init: RequestInit): Promise<Response> {
    const url = new URL(input);
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
    const method = init.method ?? 'GET';
    this.seen.push({ method, path: url.pathname, headers });
    try {
      const body: unknown = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
      return json(200, this.#route(method, url, headers, body));
    } catch (err) {
      if (err instanceof ProtocolError) return json(err.status, errorBody(err));
      throw err;
    }
  }

  #route(method: string, url: URL, headers: Record<string, string>, body: unknown): unknown {
    const path = url.pathname;
    if (method === 'GET' && path === '/v1/relay') {
      return {
        protocolVersion: 1,
        trustRoot: b64(this.trustRoot),
        zkgroupPublicParams: b64(this.zk.getPublicParams().serialize()),
        limits: { maxEnvelopeBytes: 1, maxDevicesPerAccount: 1, maxPreKeysPerUpload: 1, maxFrameBytes: 1, maxBodyBytes: 1, queueMaxPerDevice: 1, queueTtlSeconds: 1, senderCertificateTtlSeconds: 1 },
      };
    }
    if (method === 'GET' && path === '/v1/certificate/auth/group') {
      const accountId = this.#basic(headers);
      const from = Number(url.searchParams.get('from'));
      const to = Number(url.searchParams.get('to'));
      const salt = this.#salts.get(accountId)!;
      const ops = new ServerZkAuthOperations(this.zk);
      const credentials = [];
      for (let t = from; t <= to; t += 86_400) {
        credentials.push({ redemptionTime: t, credential: b64(ops.issueAuthCredentialZkcWithoutPni(Aci.fromUuid(accountId), new Uint8Array(salt), t).serialize()) });
      }
      return { authCredentialSalt: b64(salt), credentials };
    }
    if (method === 'POST' && path === '/v1/registration-tokens') {
      this.#basic(headers);
      if (this.tokensForbidden) throw new ProtocolError('FORBIDDEN', 'member tokens are off');
      return { token: `tok-${randomBytes(8).toString('hex')}`, expiresAt: (body as { expiresAt: number }).expiresAt };
    }
    const m = /^\/v1\/groups\/([0-9a-f]{64})(\/changes|\/join\/([A-Za-z0-9_-]+))?$/.exec(path);
    if (!m) throw new ProtocolError('NOT_FOUND', 'no route');
    if (headers.authorization !== undefined) throw new ProtocolError('BAD_REQUEST', 'group requests carry no account credentials');
    const groupId = m[1]!;
    if (method === 'PUT' && m[2] === undefined) {
      const req = CreateGroupRequest.parse(body);
      const actor = this.#presentation(headers, req.publicParams);
      if (this.groups.has(groupId)) throw new ProtocolError('GROUP_CONFLICT', 'exists');
      const pp = new GroupPublicParams(new Uint8Array(Buffer.from(req.publicParams, 'base64')));
      if (Buffer.from(pp.getGroupIdentifier().serialize()).toString('hex') !== groupId) throw new ProtocolError('BAD_REQUEST', 'group id');
      if (req.change.actor !== actor) throw new ProtocolError('FORBIDDEN', 'actor');
      const g = new RelayGroup(req.publicParams);
      g.apply(evaluateChange({ ...emptyView(), version: -1 }, req.change, { authenticity: g.authenticity(groupId), now: Date.now(), authorizeInvite: () => undefined }));
      g.log.push({ ...req.change, receivedAt: 0 });
      this.groups.set(groupId, g);
      return { version: 0 };
    }
    const g = this.groups.get(groupId);
    if (!g) throw new ProtocolError('NOT_FOUND', 'no group');
    const actor = this.#presentation(headers, g.publicParams);
    const password = headers[GROUP_HEADERS.invitePassword];
    const passwordHash = password === undefined ? undefined : createHash('sha256').update(Buffer.from(password, 'base64')).digest('base64');
    const holdsInvite = (id?: string) => [...g.invites.entries()].some(([iid, i]) => (id === undefined || iid === id) && i.passwordHash === passwordHash && !i.revoked);
    if (method === 'GET' && m[3] !== undefined) {
      const inviteId = Buffer.from(m[3], 'base64url').toString('base64');
      const inv = g.invites.get(inviteId);
      if (!inv || !holdsInvite(inviteId) || inv.uses >= inv.maxUses || Date.now() >= inv.expiresAt) throw new ProtocolError('INVITE_INVALID', 'invite');
      const head = g.authenticity(groupId);
      return {
        publicParams: g.publicParams,
        currentVersion: g.version,
        headHash: head.headHash,
        headAt: head.headAt ?? 0,
        attributes: b64(new Uint8Array(10)),
        memberCount: g.memberCount,
        requireApproval: inv.requireApproval,
        role: inv.role,
      };
    }
    if (method === 'GET' && m[2] === '/changes') {
      if (!g.member(actor) && !g.pending(actor)) throw new ProtocolError('NOT_A_MEMBER', 'not a member');
      const from = Number(url.searchParams.get('from'));
      const limit = Number(url.searchParams.get('limit') ?? 1000);
      return { publicParams: g.publicParams, currentVersion: g.version, changes: g.log.filter((c) => c.version >= from).slice(0, limit) };
    }
    if (method === 'POST' && m[2] === '/changes') {
      const { change } = AppendChangeRequest.parse(body);
      if (change.actor !== actor) throw new ProtocolError('FORBIDDEN', 'actor');
      if (this.conflictOnce) {
        this.conflictOnce = false;
        throw new ProtocolError('GROUP_CONFLICT', 'injected');
      }
      const effects = evaluateChange(g, change, {
        authenticity: g.authenticity(groupId),
        now: Date.now(),
        authorizeInvite: (id) => {
          if (g.invites.get(id)?.passwordHash !== passwordHash) throw new ProtocolError('INVITE_INVALID', 'password');
        },
      });
      g.apply(effects);
      g.log.push({ ...change, receivedAt: 0 });
      return { version: g.version };
    }
    throw new ProtocolError('NOT_FOUND', 'no route');
  }

  #basic(headers: Record<string, string>): string {
    const raw = headers.authorization?.replace(/^Basic /, '');
    const creds = raw === undefined ? undefined : parseBasicCredentials(Buffer.from(raw, 'base64').toString('utf8'));
    if (!creds || !this.#salts.has(creds.accountId)) throw new ProtocolError('UNAUTHORIZED', 'who?');
    return creds.accountId;
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
}

function emptyView(): GroupView {
  return { version: -1, membersCanInvite: false, memberCount: 0, adminCount: 0, member: () => undefined, pending: () => undefined, isBanned: () => false, invite: () => undefined };
}

function structuredCloneGroup(g: RelayGroup): RelayGroup {
  const c = new RelayGroup(g.publicParams);
  c.members = new Map([...g.members].map(([k, v]) => [k, { ...v }]));
  c.pendings = new Map([...g.pendings].map(([k, v]) => [k, { ...v }]));
  c.banned = new Set(g.banned);
  c.invites = new Map([...g.invites].map(([k, v]) => [k, { ...v }]));
  c.membersCanInvite = g.membersCanInvite;
  c.log = g.log.map((x) => structuredClone(x));
  return c;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export const statusOf = (code: ErrorCode) => ERROR_CODES[code].status;
