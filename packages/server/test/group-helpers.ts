import { createHash, randomBytes } from 'node:crypto';
import { Aci, PrivateKey } from '@signalapp/libsignal-client';
import {
  AuthCredentialWithPniResponse,
  ClientZkAuthOperations,
  ClientZkGroupCipher,
  GroupSecretParams,
  ServerPublicParams,
  type AuthCredentialWithPni,
} from '@signalapp/libsignal-client/dist/zkgroup/index.js';
import { AuthCredentialsResponse, canonicalJson, changeSigningMessage, GROUP_HEADERS, ROUTES, type GroupAction, type GroupChange } from '@aviso/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { registerUser, type TestRelay, type TestUser } from './helpers.js';

/**
 * Plays a group client against a test relay with real zkgroup: credentials fetched over HTTP,
 * member ciphertexts and presentations made by libsignal, and changes chained and signed as
 * protocol 2 requires (a per-group signing key per member, an invite key per invite). Identity
 * proofs are filler: the relay cannot read them.
 */

/** An action as tests write it: entering actions get the member's signing key filled in. */
export type TestAction = GroupAction extends infer A ? (A extends { signingKey: string } ? Omit<A, 'signingKey'> & { signingKey?: string } : A) : never;

/** Invite signing keys by invite id, for joins through invites `newInvite` made. */
const inviteKeys = new Map<string, PrivateKey>();

const DAY_S = 86_400;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

export function blob(n = 64): string {
  return b64(randomBytes(n));
}

export function today(relay: TestRelay): number {
  return Math.floor(relay.clock.now() / 1000 / DAY_S) * DAY_S;
}

export interface GroupUser extends TestUser {
  aci: Aci;
  salt: Uint8Array<ArrayBuffer>;
  credential: AuthCredentialWithPni;
}

/** Fetches today's auth credential for `user` from `relay` and receives it as a client would. */
export async function fetchCredential(relay: TestRelay, user: TestUser, serverPublicParams = relay.ctx.keys.zkgroupPublicParams) {
  const day = today(relay);
  const res = await relay.app.inject({
    method: 'GET',
    url: `${ROUTES.authCredentials}?from=${day}&to=${day}`,
    headers: { authorization: user.auth },
  });
  if (res.statusCode !== 200) throw new Error(`credential fetch failed: ${res.statusCode} ${res.body}`);
  const body = AuthCredentialsResponse.parse(res.json());
  const aci = Aci.fromUuid(user.accountId);
  const salt = new Uint8Array(Buffer.from(body.authCredentialSalt, 'base64'));
  const credential = new ClientZkAuthOperations(new ServerPublicParams(new Uint8Array(serverPublicParams))).receiveAuthCredentialWithoutPni(
    aci,
    salt,
    day,
    new AuthCredentialWithPniResponse(new Uint8Array(Buffer.from(body.credentials[0]!.credential, 'base64'))),
  );
  return { aci, salt, credential };
}

/** Registers an account and fetches its credential for today. */
export async function groupUser(relay: TestRelay): Promise<GroupUser> {
  const user = await registerUser(relay);
  return { ...user, ...(await fetchCredential(relay, user)) };
}

/** A new invite's createInvite action plus the secret a joiner holds. */
export function newInvite(overrides: Partial<Extract<GroupAction, { type: 'createInvite' }>> = {}, expiresAt = Date.UTC(2030, 0, 1)) {
  const password = randomBytes(32);
  const inviteId = b64(randomBytes(16));
  const signingKey = PrivateKey.generate();
  inviteKeys.set(inviteId, signingKey);
  const action = {
    type: 'createInvite' as const,
    inviteId,
    passwordHash: b64(createHash('sha256').update(password).digest()),
    expiresAt,
    maxUses: 5,
    role: 'member' as const,
    requireApproval: false,
    signingKey: b64(signingKey.getPublicKey().serialize()),
    ...overrides,
  };
  return { action, inviteId, password: b64(password), signingKey };
}

export class TestGroup {
  readonly publicParams: string;
  readonly id: string;
  private readonly cipher: ClientZkGroupCipher;
  /** Every change the test made succeed, by version. */
  readonly log: GroupChange[] = [];

  /** `secret` defaults to a new group's; pass another group's to act on it through `relay`'s credentials. */
  constructor(
    readonly relay: TestRelay,
    readonly secret = GroupSecretParams.generate(),
  ) {
    this.publicParams = b64(secret.getPublicParams().serialize());
    this.id = Buffer.from(secret.getPublicParams().getGroupIdentifier().serialize()).toString('hex');
    this.cipher = new ClientZkGroupCipher(secret);
  }

  ct(user: GroupUser): string {
    return b64(this.cipher.encryptServiceId(user.aci).serialize());
  }

  presentation(user: GroupUser): string {
    const ops = new ClientZkAuthOperations(new ServerPublicParams(new Uint8Array(this.relay.ctx.keys.zkgroupPublicParams)));
    return b64(ops.createAuthCredentialWithPniPresentation(this.secret, user.credential).serialize());
  }

  headers(user: GroupUser | undefined, password?: string): Record<string, string> {
    return {
      ...(user ? { [GROUP_HEADERS.presentation]: this.presentation(user) } : {}),
      ...(password === undefined ? {} : { [GROUP_HEADERS.invitePassword]: password }),
    };
  }

  readonly #signingKeys = new Map<string, PrivateKey>();

  /** `user`'s signing key in this group (made on first use). */
  signingKey(user: GroupUser): PrivateKey {
    let key = this.#signingKeys.get(user.accountId);
    if (!key) this.#signingKeys.set(user.accountId, (key = PrivateKey.generate()));
    return key;
  }

  /** Hash of the logged change at `version` (32 zero bytes below 0 or when the test did not log it). */
  hashAt(version: number): string {
    const c = this.log[version];
    return c ? createHash('sha256').update(canonicalJson(c), 'utf8').digest('base64') : b64(new Uint8Array(32));
  }

  /**
   * A signed change by `user` at `version`, chained to the logged change before it and dated by the
   * relay's clock; `tamper` edits the unsigned fields before signing (to test what the relay checks).
   */
  change(user: GroupUser, version: number, actions: TestAction[], tamper: { prevHash?: string; at?: number; proof?: string | null; inviteKey?: PrivateKey | null } = {}): GroupChange {
    const signer = this.signingKey(user);
    const signingKey = b64(signer.getPublicKey().serialize());
    const full = actions.map((a) => (a.type === 'create' || a.type === 'join' || a.type === 'requestJoin' ? { signingKey, ...a } : a)) as GroupAction[];
    const first = full[0];
    const entering = first?.type === 'create' || first?.type === 'join' || first?.type === 'requestJoin';
    const proof = tamper.proof === null ? undefined : (tamper.proof ?? (entering ? blob(96) : undefined));
    const unsigned = {
      version,
      actor: this.ct(user),
      actions: full,
      prevHash: tamper.prevHash ?? this.hashAt(version - 1),
      at: tamper.at ?? Math.floor(this.relay.clock.now() / 60_000) * 60_000,
      ...(proof === undefined ? {} : { proof }),
    };
    const message = Buffer.from(changeSigningMessage(this.id, unsigned), 'utf8');
    const inviteKey = tamper.inviteKey === null ? undefined : (tamper.inviteKey ?? (first?.type === 'join' || first?.type === 'requestJoin' ? inviteKeys.get(first.inviteId) : undefined));
    return { ...unsigned, signature: b64(signer.sign(message)), ...(inviteKey ? { inviteSignature: b64(inviteKey.sign(message)) } : {}) };
  }

  async create(user: GroupUser, options: { membersCanInvite?: boolean; change?: GroupChange; publicParams?: string } = {}) {
    const change = options.change ?? this.change(user, 0, [{ type: 'create', attributes: blob(256), profile: blob(128), membersCanInvite: options.membersCanInvite ?? false }]);
    const res = await this.relay.app.inject({
      method: 'PUT',
      url: ROUTES.group.path(this.id),
      headers: this.headers(user),
      payload: { publicParams: options.publicParams ?? this.publicParams, change },
    });
    if (res.statusCode === 200) this.log[0] = change;
    return res;
  }

  get version(): number {
    return this.log.length - 1;
  }

  /** Appends `actions` by `user` at the next version (or `version`). */
  async append(user: GroupUser, actions: TestAction[], options: { password?: string; version?: number; headers?: Record<string, string> } = {}) {
    const change = this.change(user, options.version ?? this.version + 1, actions);
    return this.appendChange(change, options.headers ?? this.headers(user, options.password));
  }

  async appendChange(change: GroupChange, headers: Record<string, string>) {
    const res = await this.relay.app.inject({ method: 'POST', url: ROUTES.groupChanges.path(this.id), headers, payload: { change } });
    if (res.statusCode === 200) this.log[change.version] = change;
    return res;
  }

  async changes(user: GroupUser | undefined, from = 0, options: { limit?: number; password?: string } = {}): Promise<LightMyRequestResponse> {
    const query = `from=${from}${options.limit === undefined ? '' : `&limit=${options.limit}`}`;
    return this.relay.app.inject({ method: 'GET', url: `${ROUTES.groupChanges.path(this.id)}?${query}`, headers: this.headers(user, options.password) });
  }

  async joinInfo(inviteId: string, password: string | undefined, user?: GroupUser) {
    return this.relay.app.inject({ method: 'GET', url: ROUTES.groupJoinInfo.path(this.id, inviteId), headers: this.headers(user, password) });
  }
}

export function errorCode(res: LightMyRequestResponse): string | undefined {
  return (res.json() as { error?: { code?: string } }).error?.code;
}
