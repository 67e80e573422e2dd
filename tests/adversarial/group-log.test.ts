import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { PrivateKey } from '@signalapp/libsignal-client';
import { describe, expect, test } from 'vitest';
import { AppendChangeResponse, canonicalJson, changeSigningMessage, GROUP_HEADERS, JoinInfoResponse, PROTOCOL_HEADER, ROUTES, WS_SUBPROTOCOL, type GroupChange } from '@aviso/protocol';
import { parseInviteCode, RelayMisbehaviourError, type Group } from '@aviso/client';
import WebSocket from 'ws';
import { buildChange, changeHash, emptyGroupState, type UnsignedAction } from '../../packages/client/src/crypto/group-chain.js';
import { deriveInviteKeys, GroupKeys, memberSigningKey } from '../../packages/client/src/crypto/group-keys.js';
import { RawMember, relayMeta, type RelayMeta } from '../support/raw-group.js';
import { collect, type ClientPool } from '../support/clients.js';
import { useRelay } from '../support/harness.js';
import type { RelayProcess } from '../support/relay.js';

/**
 * Issue 11, findings 1, 5 and 11, attacked against a real relay process: an infiltrator who holds a
 * leaked invite code (and so the group's master key) posts hand-made changes over HTTP; an operator
 * edits the stopped relay's database; a banned member reads with a still-live invite password; and a
 * protocol-1 client talks to the protocol-2 relay.
 */
let relay: RelayProcess;
let pool: ClientPool;
useRelay((r, p) => ((relay = r), (pool = p)));

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** An infiltrator who holds an invite code and crafts its own requests. */
class Infiltrator {
  private constructor(
    readonly meta: RelayMeta,
    readonly member: RawMember,
    readonly keys: GroupKeys,
    readonly code: ReturnType<typeof parseInviteCode>,
    readonly presentation: string,
  ) {}

  static async from(inviteCode: string, registrationToken: string): Promise<Infiltrator> {
    const meta = await relayMeta(relay.url);
    const code = parseInviteCode(inviteCode);
    const keys = new GroupKeys(code.masterKey);
    const member = await RawMember.register(meta, registrationToken);
    return new Infiltrator(meta, member, keys, code, await member.presentation(meta, keys));
  }

  get password(): string {
    return b64(deriveInviteKeys(this.code.inviteSecret).relayPassword);
  }

  async joinInfo() {
    const res = await fetch(new URL(ROUTES.groupJoinInfo.path(this.keys.groupId, this.code.inviteId), relay.url), { headers: { [GROUP_HEADERS.invitePassword]: this.password } });
    return JoinInfoResponse.parse(await res.json());
  }

  /** A change chained to the relay's current head, built and signed as the SDK would. */
  async build(actions: UnsignedAction[], opts: { inviteKey?: PrivateKey; head?: { version: number; headHash: string } } = {}): Promise<GroupChange> {
    let head = opts.head;
    if (!head) {
      const info = await this.joinInfo();
      head = { version: info.currentVersion, headHash: info.headHash };
    }
    const state = { ...emptyGroupState(this.keys.groupId), version: head.version, headHash: head.headHash };
    return buildChange({ state, keys: this.keys, accountId: this.member.accountId, identityKeyPair: this.member.identity, actions, inviteSigningKey: opts.inviteKey });
  }

  joinAction(inviteId = this.code.inviteId): UnsignedAction {
    return { type: 'join', inviteId, profile: this.keys.sealJson({ v: 1, displayName: 'Eve' }) };
  }

  /** Re-signs a tampered change with the keys this infiltrator really holds. */
  resign(change: GroupChange, inviteKey?: PrivateKey): GroupChange {
    const { signature: _s, inviteSignature: _i, ...unsigned } = change;
    const message = Buffer.from(changeSigningMessage(this.keys.groupId, unsigned), 'utf8');
    return {
      ...unsigned,
      signature: b64(memberSigningKey(this.member.identity, this.keys.groupId).sign(message)),
      ...(inviteKey ? { inviteSignature: b64(inviteKey.sign(message)) } : {}),
    };
  }

  async post(change: GroupChange): Promise<{ status: number; code: string | undefined; reason: string | undefined }> {
    const res = await fetch(new URL(ROUTES.groupChanges.path(this.keys.groupId), relay.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [GROUP_HEADERS.presentation]: this.presentation, [GROUP_HEADERS.invitePassword]: this.password },
      body: JSON.stringify({ change }),
    });
    const body = (await res.json()) as { error?: { code?: string; details?: { reason?: string } } };
    if (res.ok) AppendChangeResponse.parse(body);
    return { status: res.status, code: body.error?.code, reason: body.error?.details?.reason };
  }
}

async function groupWithBob() {
  const admin = await pool.registered(relay, 'admin');
  const group = await admin.createGroup({ title: 'Wilmington rapid response', displayName: 'Rosa' });
  const bob = await pool.open(pool.newDataDir('bob'));
  const bobGroup = await bob.join(await group.createInvite({ expiresInSeconds: 3600 }), { displayName: 'Bob' });
  return { admin, group, bob, bobGroup };
}

const dbPath = () => join(relay.dataDir, 'aviso.sqlite');
const logVersion = (groupId: string) => {
  const db = new Database(dbPath(), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT max(version) AS v FROM group_changes WHERE group_id = ?').get(groupId) as { v: number }).v;
  } finally {
    db.close();
  }
};
const ids = async (g: Group) => (await g.members()).map((m) => m.accountId).sort();

describe('finding 1: one request no longer freezes a group', () => {
  test('the relay refuses a join or a leave it cannot verify, and stores nothing', async () => {
    const { group, bobGroup } = await groupWithBob();
    const leaked = await group.createInvite({ expiresInSeconds: 3600, maxUses: 5 });
    const eve = await Infiltrator.from(leaked, await relay.createToken());
    const inviteKey = deriveInviteKeys(eve.code.inviteSecret).signingKey;
    const before = logVersion(group.id);

    // The attack of the review: a join whose proof is 512 random bytes. The proof is signed, so it
    // cannot be swapped under a valid signature...
    const honest = await eve.build([eve.joinAction()], { inviteKey });
    expect(await eve.post({ ...honest, proof: b64(randomBytes(512)) })).toMatchObject({ status: 400, code: 'GROUP_CHANGE_INVALID', reason: 'bad-signature' });
    // ...and garbage signatures, a join without the invite's signature, or one dated an hour off are refused too.
    expect(await eve.post({ ...honest, signature: b64(randomBytes(64)) })).toMatchObject({ status: 400, code: 'GROUP_CHANGE_INVALID', reason: 'bad-signature' });
    expect(await eve.post(eve.resign(honest))).toMatchObject({ status: 410, code: 'INVITE_INVALID', reason: 'bad-invite-signature' });
    expect(await eve.post(eve.resign({ ...honest, at: honest.at + 3_600_000 }, inviteKey))).toMatchObject({ status: 400, reason: 'bad-time' });
    expect(await eve.post(eve.resign({ ...honest, prevHash: b64(randomBytes(32)) }, inviteKey))).toMatchObject({ status: 409, code: 'GROUP_CONFLICT' });
    expect(logVersion(group.id)).toBe(before);

    // Eve joins properly, then tries a leave with a garbage signature, and one carrying a proof.
    expect((await eve.post(honest)).status).toBe(200);
    const leave = await eve.build([{ type: 'leave' }], { head: { version: honest.version, headHash: changeHash(honest) } });
    expect(await eve.post({ ...leave, signature: b64(randomBytes(64)) })).toMatchObject({ status: 400, reason: 'bad-signature' });
    expect(await eve.post(eve.resign({ ...leave, proof: b64(randomBytes(512)) }))).toMatchObject({ status: 400, reason: 'unexpected-proof' });
    expect(logVersion(group.id)).toBe(before + 1);

    // Every member still verifies the whole log.
    await bobGroup.sync();
    expect(bobGroup.version).toBe(before + 1);
    expect(await ids(bobGroup)).toContain(eve.member.accountId);
  });

  test('a join whose identity proof is garbage but whose signatures verify admits an unverified member, and the group keeps working', async () => {
    const { admin, group, bob, bobGroup } = await groupWithBob();
    const bobEvents = collect(bob, 'group');
    const leaked = await group.createInvite({ expiresInSeconds: 3600, maxUses: 5 });
    const eve = await Infiltrator.from(leaked, await relay.createToken());
    const inviteKey = deriveInviteKeys(eve.code.inviteSecret).signingKey;
    const honest = await eve.build([eve.joinAction()], { inviteKey });
    // Eve holds every key the relay checks, so it cannot tell her garbage proof from a real one.
    expect((await eve.post(eve.resign({ ...honest, proof: b64(randomBytes(512)) }, inviteKey))).status).toBe(200);

    // Before protocol 2 every member failed here forever (GroupVerificationError proof-undecryptable).
    await bobGroup.sync();
    const eveSeen = (await bobGroup.members()).find((m) => m.accountId === eve.member.accountId);
    expect(eveSeen).toMatchObject({ identityVerified: false, identityKey: undefined });
    expect(bobEvents).toContainEqual(expect.objectContaining({ type: 'member-unverified', accountId: eve.member.accountId, reason: 'proof-undecryptable' }));

    // The admin removes her, revokes the leaked invite, renames the group and invites a newcomer.
    await group.remove(eve.member.accountId, { ban: true });
    await group.revokeInvite((await group.invites()).find((i) => i.maxUses === 5)!.inviteId);
    await group.setTitle('Wilmington (nights)');
    const dave = await pool.open(pool.newDataDir('dave'));
    const daveGroup = await dave.join(await group.createInvite({ expiresInSeconds: 3600 }), { displayName: 'Dave' });
    expect(await ids(daveGroup)).toEqual([admin.accountId, bob.accountId, dave.accountId].sort());
    await bobGroup.sync();
    expect(bobGroup.title).toBe('Wilmington (nights)');

    // Alerts flow.
    await bob.connect();
    const received = collect(bob, 'alert');
    await group.sendAlert({ kind: 'raid', severity: 'critical', title: 'Vans at the car wash on Anaheim', requestAck: false });
    await until(() => received.length === 1);
    expect(received[0]).toMatchObject({ title: 'Vans at the car wash on Anaheim', from: admin.accountId });
  });
});

describe('finding 5: an operator with the master key cannot add an admin through an invite it does not hold', () => {
  test('a properly signed join through an admin invite, written into the stopped relay, is refused by members', async () => {
    const { group, bobGroup } = await groupWithBob();
    // The admin invite's code never leaves the admin; the operator colludes with someone holding an
    // ordinary invite code, so it has the master key (what every member, ex-member and seized phone has).
    const adminInvite = parseInviteCode(await group.createInvite({ role: 'admin', expiresInSeconds: 120 }));
    const ana = await Infiltrator.from(await group.createInvite({ expiresInSeconds: 3600 }), await relay.createToken());
    const info = await ana.joinInfo();
    const forged = await ana.build([ana.joinAction(adminInvite.inviteId)], { inviteKey: PrivateKey.generate(), head: { version: info.currentVersion, headHash: info.headHash } });
    // The relay refuses it live...
    expect(await ana.post(forged)).toMatchObject({ status: 410, reason: 'bad-invite-signature' });
    // ...so the operator writes it into the database while the relay is stopped.
    await insertChange(group.id, forged, { member: ana.keys.pseudonym(ana.member.accountId), role: 'admin', inviteId: adminInvite.inviteId });

    const err = await bobGroup.sync().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayMisbehaviourError);
    expect(err).toMatchObject({ reason: 'bad-invite-signature', version: forged.version });
    expect((err as Error).message).toMatch(/organisers/);
    expect(await ids(bobGroup)).not.toContain(ana.member.accountId);
  });

  test('a join through a leaked admin invite dated after its expiry is refused by members', async () => {
    const { group, bobGroup } = await groupWithBob();
    const code = await group.createInvite({ role: 'admin', expiresInSeconds: 60 });
    const expiresAt = (await group.invites()).find((i) => i.role === 'admin')!.expiresAt;
    const ana = await Infiltrator.from(code, await relay.createToken());
    const inviteKey = deriveInviteKeys(ana.code.inviteSecret).signingKey;
    const info = await ana.joinInfo();
    const late = ana.resign({ ...(await ana.build([ana.joinAction()], { inviteKey, head: { version: info.currentVersion, headHash: info.headHash } })), at: expiresAt }, inviteKey);
    await insertChange(group.id, late, { member: ana.keys.pseudonym(ana.member.accountId), role: 'admin', inviteId: ana.code.inviteId });

    await expect(bobGroup.sync()).rejects.toMatchObject({ name: 'RelayMisbehaviourError', reason: 'expired-invite' });
    expect(await ids(bobGroup)).not.toContain(ana.member.accountId);
  });
});

describe('finding 11: an invite password alone reveals only what a newcomer needs', () => {
  test('a banned member holding a live multi-use invite cannot read the log or the members', async () => {
    const { admin, group, bobGroup } = await groupWithBob();
    const multi = await group.createInvite({ expiresInSeconds: 3600, maxUses: 10 });
    const mallory = await Infiltrator.from(multi, await relay.createToken());
    expect((await mallory.post(await mallory.build([mallory.joinAction()], { inviteKey: deriveInviteKeys(mallory.code.inviteSecret).signingKey }))).status).toBe(200);
    await group.remove(mallory.member.accountId, { ban: true });
    await bobGroup.sync();

    const url = new URL(`${ROUTES.groupChanges.path(group.id)}?from=0`, relay.url);
    const withPassword = await fetch(url, { headers: { [GROUP_HEADERS.invitePassword]: mallory.password } });
    expect(withPassword.status).toBe(401);
    expect(((await withPassword.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    const withBoth = await fetch(url, { headers: { [GROUP_HEADERS.invitePassword]: mallory.password, [GROUP_HEADERS.presentation]: mallory.presentation } });
    expect(((await withBoth.json()) as { error: { code: string } }).error.code).toBe('BANNED');

    // The join info is all the password buys: no pseudonym, profile or invite of anyone.
    const res = await fetch(new URL(ROUTES.groupJoinInfo.path(group.id, mallory.code.inviteId), relay.url), { headers: { [GROUP_HEADERS.invitePassword]: mallory.password } });
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['attributes', 'currentVersion', 'headAt', 'headHash', 'memberCount', 'publicParams', 'requireApproval', 'role']);
    const adminPseudonym = mallory.keys.pseudonym(admin.accountId);
    expect(JSON.stringify(body)).not.toContain(adminPseudonym);
  });
});

describe('a protocol-1 client gets a typed refusal, never a misread', () => {
  test('HTTP requests naming protocol 1 and a WebSocket offering aviso.v1 are refused with UNSUPPORTED_VERSION', async () => {
    const res = await fetch(new URL(ROUTES.keys, relay.url), { headers: { [PROTOCOL_HEADER]: '1' } });
    expect(res.status).toBe(426);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_VERSION');
    // The relay info stays readable, so the old client can say what the relay speaks.
    const info = await fetch(new URL(ROUTES.relayInfo, relay.url), { headers: { [PROTOCOL_HEADER]: '1' } });
    expect(((await info.json()) as { protocolVersion: number }).protocolVersion).toBe(2);

    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(new URL(ROUTES.websocket, relay.url.replace('http', 'ws')), ['aviso.v1']);
      ws.on('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(426);
    expect(WS_SUBPROTOCOL).toBe('aviso.v2');
  });
});

/** Stops the relay, writes `change` into its log as the relay would (and its member row), starts it. */
async function insertChange(groupId: string, change: GroupChange, row: { member: string; role: string; inviteId: string }): Promise<void> {
  await relay.stop();
  const db = new Database(dbPath(), { fileMustExist: true });
  try {
    db.transaction(() => {
      db.prepare('INSERT INTO group_changes (group_id, version, body, received_at) VALUES (?, ?, ?, ?)').run(groupId, change.version, canonicalJson(change), Date.now() - (Date.now() % 60_000));
      db.prepare('UPDATE groups SET version = ? WHERE id = ?').run(change.version, groupId);
      db.prepare('INSERT INTO group_members (group_id, member, role, invite_id) VALUES (?, ?, ?, ?)').run(groupId, row.member, row.role, row.inviteId);
    })();
  } finally {
    db.close();
  }
  await relay.start();
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
