import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdentityKeyPair, ProtocolAddress, SenderCertificate } from '@signalapp/libsignal-client';
import { SqliteStore, type AvisoClient, type Group } from '@aviso/client';
import { PreKeyBundleResponse, ROUTES, SenderCertificateResponse, type Content } from '@aviso/protocol';
import { sealContent } from '../../packages/client/src/crypto/sealed.js';
import { buildSessions } from '../../packages/client/src/crypto/sessions.js';
import { signalStores } from '../../packages/client/src/stores/libsignal-adapters.js';
import { Zone } from '../../packages/client/src/stores/zone.js';
import { authorization, call } from '../support/raw-account.js';
import type { ClientPool } from '../support/clients.js';
import type { RelayProcess } from '../support/relay.js';

/**
 * Shared by the adversarial tests (one file per red-team finding): a relay operator who edits the
 * stopped relay's SQLite (as in tests/e2e/malicious-relay.test.ts), members who join by invite.
 */

export function withRelayDb<T>(relay: RelayProcess, fn: (db: Database.Database) => T): T {
  const db = new Database(join(relay.dataDir, 'aviso.sqlite'), { fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Envelopes the relay holds for `accountId`'s devices (queued: the member is offline). */
export function queuedFor(relay: RelayProcess, accountId: string): number {
  return withRelayDb(relay, (db) => (db.prepare('SELECT count(*) AS n FROM messages WHERE account_id = ?').get(accountId) as { n: number }).n);
}

export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface Member {
  name: string;
  dir: string;
  client: AvisoClient;
  group: Group;
}

/** An admin (its group open) and members who joined one invite, everyone synced to the same version. */
export async function groupWith(relay: RelayProcess, pool: ClientPool, names: string[], title = 'Harbor City rapid response', options: Parameters<ClientPool['open']>[1] = {}) {
  const adminDir = pool.newDataDir('admin');
  const admin = await pool.open(adminDir, options);
  await admin.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
  const group = await admin.createGroup({ title, displayName: 'Rosa' });
  const code = await group.createInvite({ expiresInSeconds: 3600, maxUses: names.length + 4, requireApproval: false });
  const members: Member[] = [];
  for (const name of names) members.push(await joinWith(pool, code, name, options));
  await group.sync();
  for (const m of members) await m.group.sync();
  return { admin, adminDir, group, code, members };
}

export async function joinWith(pool: ClientPool, code: string, name: string, options: Parameters<ClientPool['open']>[1] = {}): Promise<Member> {
  const dir = pool.newDataDir(name);
  const client = await pool.open(dir, options);
  const group = await client.join(code, { displayName: name });
  return { name, dir, client, group };
}

/**
 * A member running modified client code: seals `content` to device 1 of `to` over the session its
 * store already has (the SDK never sends such a body on its own) and uploads it with its account
 * credentials. The member's client must be closed (the store is opened here).
 */
export async function sendAsModifiedClient(dataDir: string, to: string, content: Content, options: { as?: string } = {}): Promise<void> {
  const store = SqliteStore.open(dataDir);
  try {
    let account = store.getAccount()!;
    // An operator who moved this client's keys and password onto another account's rows logs in as it.
    if (options.as) store.commit({ account: (account = { ...account, accountId: options.as }) });
    const identity = store.getLocalIdentity()!;
    const local = { identityKeyPair: IdentityKeyPair.deserialize(Buffer.from(identity.identityKeyPair)), registrationId: identity.registrationId };
    const auth = authorization(account.accountId, account.deviceId, account.password);
    const cert = await call(account.relayUrl, 'GET', ROUTES.senderCertificate, { authorization: auth });
    if (cert.status !== 200) throw new Error(`no sender certificate: ${cert.status}`);
    const certificate = SenderCertificate.deserialize(Buffer.from(SenderCertificateResponse.parse(cert.body).certificate, 'base64'));
    const zone = new Zone(store);
    if (!zone.getSession(to, 1)) {
      const bundle = await call(account.relayUrl, 'GET', ROUTES.keyBundle.path(to, '*'), { authorization: auth });
      if (bundle.status !== 200) throw new Error(`no key bundle: ${bundle.status}`);
      await buildSessions(signalStores(zone, local), ProtocolAddress.new(account.accountId, account.deviceId), to, PreKeyBundleResponse.parse(bundle.body));
    }
    const sealed = await sealContent(content, ProtocolAddress.new(to, 1), certificate, signalStores(zone, local));
    zone.commit();
    const res = await call(account.relayUrl, 'PUT', ROUTES.messages.path(to), {
      authorization: auth,
      body: { messages: [{ destinationDeviceId: 1, destinationRegistrationId: sealed.registrationId, content: Buffer.from(sealed.ciphertext).toString('base64') }], timestamp: content.sentAt },
    });
    if (res.status !== 200) throw new Error(`send refused: ${res.status} ${JSON.stringify(res.body)}`);
  } finally {
    store.close();
  }
}

/**
 * A proxy in front of the live relay for one member's client (its `fetch`): while `from` is set,
 * that member is served the group log without the changes from version `from` on, and a current
 * version just before it, as if they did not exist. Everyone else sees the real log.
 */
export function withholdingProxy(): { fetch: (input: string, init: RequestInit) => Promise<Response>; hide: { from: number | undefined } } {
  const hide: { from: number | undefined } = { from: undefined };
  const proxy = async (input: string, init: RequestInit): Promise<Response> => {
    const res = await fetch(input, init);
    const from = hide.from;
    if (from === undefined || (init.method ?? 'GET') !== 'GET' || !/\/v1\/groups\/[^/]+\/changes$/.test(new URL(input).pathname) || res.status !== 200) return res;
    const body = (await res.json()) as { currentVersion: number; changes: Array<{ version: number }> };
    body.changes = body.changes.filter((c) => c.version < from);
    body.currentVersion = Math.min(body.currentVersion, from - 1);
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { fetch: proxy, hide };
}

/** Copies of the stopped relay's database, to roll it back and forth (as tests/e2e/groups-malicious-relay.test.ts). */
export class RelaySnapshots {
  readonly #dirs: string[] = [];
  constructor(private readonly relay: RelayProcess) {}

  async take(): Promise<string> {
    await this.relay.stop();
    const dir = mkdtempSync(join(tmpdir(), 'aviso-snapshot-'));
    this.#dirs.push(dir);
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(this.#db() + suffix)) copyFileSync(this.#db() + suffix, join(dir, 'aviso.sqlite' + suffix));
    await this.relay.start();
    return dir;
  }

  async restore(dir: string): Promise<void> {
    await this.relay.stop();
    for (const suffix of ['-wal', '-shm']) rmSync(this.#db() + suffix, { force: true });
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(join(dir, 'aviso.sqlite' + suffix))) copyFileSync(join(dir, 'aviso.sqlite' + suffix), this.#db() + suffix);
    await this.relay.start();
  }

  dispose(): void {
    for (const dir of this.#dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }

  #db(): string {
    return join(this.relay.dataDir, 'aviso.sqlite');
  }
}
