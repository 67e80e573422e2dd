import { randomBytes } from 'node:crypto';
import type { IdentityKeyPair, PrivateKey } from '@signalapp/libsignal-client';
import {
  AppendChangeResponse,
  AuthCredentialsResponse,
  ChangesResponse,
  EndorsementsResponse,
  GROUP_HEADERS,
  MintTokenResponse,
  RegisterResponse,
  RelayInfo,
  ROUTES,
  checkpointState,
  emptySnapshot,
  SnapshotBuilder,
  type GroupAction,
  type GroupChange,
} from '@aviso/protocol';
import { encodeInviteCode } from '@aviso/client';
// The SDK's sans-I/O group crypto, used directly so 10,000 members can be built without 10,000 SDK
// clients; every change still goes through the relay's presentation check and evaluateChange.
import { authPresentation, dayStart, receiveAuthCredentials } from '../../packages/client/src/crypto/group-auth.js';
import { buildChange, changeHash, emptyGroupState, type UnsignedAction } from '../../packages/client/src/crypto/group-chain.js';
import type { GroupState } from '../../packages/client/src/stores/group-state.js';
import { deriveInviteKeys, GroupKeys, sha256, ZERO_HASH } from '../../packages/client/src/crypto/group-keys.js';
import { authorization, registrationBody } from './raw-account.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** What every raw member needs to know about the relay. */
export interface RelayMeta {
  url: string;
  trustRoot: Uint8Array;
  zkgroupPublicParams: Uint8Array;
}

export async function relayMeta(url: string): Promise<RelayMeta> {
  const info = RelayInfo.parse(await (await fetch(new URL(ROUTES.relayInfo, url))).json());
  return { url, trustRoot: Buffer.from(info.trustRoot, 'base64'), zkgroupPublicParams: Buffer.from(info.zkgroupPublicParams, 'base64') };
}

/** One JSON request; throws with the relay's error body on anything but 2xx. */
export async function request<T>(
  relay: RelayMeta,
  method: string,
  path: string,
  schema: { parse(value: unknown): T },
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<T> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, relay.url), {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path.split('?')[0]} → ${res.status} ${text}`);
  return schema.parse(text ? JSON.parse(text) : undefined);
}

/** An account registered over HTTP with real libsignal keys, holding its identity key pair to sign group changes. */
export class RawMember {
  private constructor(
    readonly accountId: string,
    readonly identity: IdentityKeyPair,
    readonly authorization: string,
  ) {}

  static async register(relay: RelayMeta, registrationToken: string): Promise<RawMember> {
    const { identity, ...body } = registrationBody(registrationToken);
    const res = await request(relay, 'POST', ROUTES.accounts, RegisterResponse, { body });
    return new RawMember(res.accountId, identity, authorization(res.accountId, res.deviceId, body.password));
  }

  /** Today's auth credential (one day only: it is all a bench run needs) turned into a presentation for one group. */
  async presentation(relay: RelayMeta, keys: GroupKeys): Promise<string> {
    const today = dayStart(Date.now());
    const res = await request(relay, 'GET', `${ROUTES.authCredentials}?from=${today}&to=${today}`, AuthCredentialsResponse, {
      headers: { authorization: this.authorization },
    });
    const credential = receiveAuthCredentials(relay.zkgroupPublicParams, this.accountId, res).get(today);
    if (!credential) throw new Error('the relay issued no credential for today');
    return authPresentation(relay.zkgroupPublicParams, keys.secretParams, credential);
  }

  /** A registration token for invite codes, minted as `createInvite` in the SDK mints it. */
  async mintToken(relay: RelayMeta, uses: number, expiresAt: number): Promise<string> {
    const res = await request(relay, 'POST', ROUTES.registrationTokens, MintTokenResponse, {
      headers: { authorization: this.authorization },
      body: { uses, expiresAt },
    });
    return res.token;
  }
}

export interface RawInvite {
  inviteId: string;
  inviteSecret: Uint8Array;
  signingKey: PrivateKey;
  /** base64 relay password, the `aviso-invite-password` header. */
  password: string;
}

/** A member ready to join: registered, with a presentation for the group and a sealed profile. */
export interface Joiner {
  member: RawMember;
  presentation: string;
  profile: string;
}

/**
 * A group driven over raw HTTP by its creator (the only admin). It tracks only the head (version and
 * hash) it chains new changes to, not the full state: the SDK clients under test verify the chain.
 */
export class RawGroup {
  version = -1;
  headHash = ZERO_HASH;
  private titles = 0;

  private constructor(
    readonly relay: RelayMeta,
    readonly admin: RawMember,
    readonly keys: GroupKeys,
    private readonly adminPresentation: string,
  ) {}

  static async create(relay: RelayMeta, admin: RawMember, title: string): Promise<RawGroup> {
    const keys = new GroupKeys(randomBytes(32));
    const group = new RawGroup(relay, admin, keys, await admin.presentation(relay, keys));
    const change = group.build(admin, [
      { type: 'create', attributes: group.keys.sealJson({ v: 1, title, description: 'benchmark group' }), profile: group.profile('admin'), membersCanInvite: false },
    ]);
    await request(relay, 'PUT', ROUTES.group.path(group.keys.groupId), AppendChangeResponse, {
      headers: { [GROUP_HEADERS.presentation]: group.adminPresentation },
      body: { publicParams: b64(group.keys.publicParams), change },
    });
    group.advance(change);
    group.#created = change;
    return group;
  }

  get groupId(): string {
    return this.keys.groupId;
  }

  profile(displayName: string): string {
    return this.keys.sealJson({ v: 1, displayName });
  }

  /** Registers a member and makes its presentation and profile (the parts of a join that can run in parallel). */
  async prepareJoiner(registrationToken: string, name: string): Promise<Joiner> {
    const member = await RawMember.register(this.relay, registrationToken);
    return { member, presentation: await member.presentation(this.relay, this.keys), profile: this.profile(name) };
  }

  async createInvite(options: { maxUses: number; expiresInSeconds?: number }): Promise<RawInvite> {
    const { action, invite } = this.inviteAction(options);
    await this.appendAsAdmin([action]);
    return invite;
  }

  /** A createInvite action with a fresh secret, not sent. */
  inviteAction(options: { maxUses: number; expiresInSeconds?: number }): { action: GroupAction; invite: RawInvite } {
    const inviteSecret = randomBytes(32);
    const inviteId = b64(randomBytes(16));
    const { relayPassword, signingKey } = deriveInviteKeys(inviteSecret);
    const action: GroupAction = {
        type: 'createInvite',
        inviteId,
        passwordHash: b64(sha256(relayPassword)),
        expiresAt: Date.now() + (options.expiresInSeconds ?? 86_400) * 1000,
        maxUses: options.maxUses,
        role: 'member',
        requireApproval: false,
        signingKey: b64(signingKey.getPublicKey().serialize()),
      };
    return { action, invite: { inviteId, inviteSecret, signingKey, password: b64(relayPassword) } };
  }

  setTitle(): Promise<void> {
    return this.appendAsAdmin([this.titleAction()]);
  }

  titleAction(): GroupAction {
    return { type: 'setAttributes', attributes: this.keys.sealJson({ v: 1, title: `Responders ${++this.titles}`, description: 'benchmark group' }) };
  }

  /** Appends the joiner's signed join change; returns the request's wall time in ms. */
  async join(joiner: Joiner, invite: RawInvite): Promise<number> {
    const change = this.build(joiner.member, [{ type: 'join', inviteId: invite.inviteId, profile: joiner.profile }], invite.signingKey);
    const started = performance.now();
    await this.post(change, { [GROUP_HEADERS.presentation]: joiner.presentation, [GROUP_HEADERS.invitePassword]: invite.password });
    const ms = performance.now() - started;
    this.advance(change);
    return ms;
  }

  /** A change at the next version by the admin, not sent (for appending in-process). */
  buildAsAdmin(actions: UnsignedAction[]): { change: GroupChange; presentation: string } {
    return { change: this.build(this.admin, actions), presentation: this.adminPresentation };
  }

  buildJoin(joiner: Joiner, invite: RawInvite): GroupChange {
    return this.build(joiner.member, [{ type: 'join', inviteId: invite.inviteId, profile: joiner.profile }], invite.signingKey);
  }

  /** Moves the head past a change the relay accepted. */
  advance(change: GroupChange): void {
    this.version = change.version;
    this.headHash = changeHash(change);
    this.#snapshot?.apply(change, this.headHash);
    if (change.actions[0]?.type === 'checkpoint') this.checkpointVersion = change.version;
  }

  #snapshot: SnapshotBuilder | undefined;
  /** Version of the last checkpoint this group made (0: none). */
  checkpointVersion = 0;

  /**
   * Follows the group's state with the protocol's SnapshotBuilder (what the relay runs), so the
   * admin can write checkpoints as an admin's SDK would; call before the first change after create.
   */
  trackState(): void {
    if (this.version !== 0) throw new Error('trackState right after create');
    this.#snapshot = new SnapshotBuilder(emptySnapshot(this.groupId));
    this.#snapshot.apply(this.#created!, this.headHash);
  }

  /** Stops following the state (before replaying changes on a copy of the relay's database). */
  untrackState(): void {
    this.#snapshot = undefined;
  }

  /** A checkpoint action naming the state at the head (trackState first). */
  checkpointAction(): GroupAction {
    if (!this.#snapshot) throw new Error('trackState first');
    return { type: 'checkpoint', stateHash: b64(sha256(checkpointState(this.#snapshot.snapshot))) };
  }

  /** Appends a checkpoint through the relay when `every` changes passed since the last one. */
  async checkpointIfDue(every: number): Promise<boolean> {
    if (this.version - this.checkpointVersion < every) return false;
    await this.appendAsAdmin([this.checkpointAction()]);
    return true;
  }

  /** Follows changes others (the SDK clients under test) appended since our head. */
  async refreshHead(): Promise<void> {
    for (;;) {
      const res = await request(this.relay, 'GET', `${ROUTES.groupChanges.path(this.groupId)}?from=${this.version}&limit=1000`, ChangesResponse, {
        headers: { [GROUP_HEADERS.presentation]: this.adminPresentation },
      });
      for (const record of res.changes) {
        if (record.version <= this.version) continue; // the head, served again
        const { receivedAt: _receivedAt, ...change } = record;
        this.advance(change);
      }
      if (this.version >= res.currentVersion) return;
    }
  }

  /** The group send endorsements for the current members, as the admin (the relay issues them once per version). */
  async endorsements(): Promise<EndorsementsResponse> {
    return request(this.relay, 'GET', ROUTES.groupEndorsements.path(this.groupId), EndorsementsResponse, {
      headers: { [GROUP_HEADERS.presentation]: this.adminPresentation },
    });
  }

  #created: GroupChange | undefined;

  /** The code for `invite`; `head`: with the admin's head in it (docs/groups.md "Checkpoints"), as the SDK writes it. */
  inviteCode(invite: RawInvite, registrationToken: string, head = false): string {
    return encodeInviteCode({
      ...(head ? { head: { version: this.version, hash: Buffer.from(this.headHash, 'base64').subarray(0, 16) } } : {}),
      relayUrl: this.relay.url,
      trustRootSha256: sha256(this.relay.trustRoot),
      masterKey: this.keys.masterKey,
      inviteId: invite.inviteId,
      inviteSecret: invite.inviteSecret,
      registrationToken,
    });
  }

  private async appendAsAdmin(actions: UnsignedAction[]): Promise<void> {
    const change = this.build(this.admin, actions);
    await this.post(change, { [GROUP_HEADERS.presentation]: this.adminPresentation });
    this.advance(change);
  }

  private build(by: RawMember, actions: UnsignedAction[], inviteSigningKey?: PrivateKey): GroupChange {
    // buildChange reads only the version and head hash of the state it chains to.
    const state: GroupState = { ...emptyGroupState(this.groupId), version: this.version, headHash: this.headHash };
    return buildChange({ state, keys: this.keys, accountId: by.accountId, identityKeyPair: by.identity, actions, inviteSigningKey });
  }

  private async post(change: GroupChange, headers: Record<string, string>): Promise<void> {
    await request(this.relay, 'POST', ROUTES.groupChanges.path(this.groupId), AppendChangeResponse, { headers, body: { change } });
  }
}
