import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LIMITS, type Content } from '@aviso/protocol';
import { buildSessions, sealContent } from '../src/crypto/index.js';
import {
  AlreadyRegisteredError,
  AvisoClient,
  MessageTooLargeError,
  MemoryStore,
  NotRegisteredError,
  type DirectMessage,
  type RejectedEnvelope,
} from '../src/index.js';
import { toBase64 } from '../src/util/bytes.js';
import { Party, TestAuthority } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Nothing listens here: the client's connection attempts fail and it keeps retrying until close(). */
const DEAD_RELAY = 'http://127.0.0.1:9';

function registeredStore(party: Party, ca: TestAuthority): MemoryStore {
  (party.store as MemoryStore).commit({
    account: { relayUrl: DEAD_RELAY, trustRoot: ca.trustRoot.getPublicKey().serialize(), accountId: party.accountId, deviceId: 1, password: 'x'.repeat(43) },
  });
  return party.store as MemoryStore;
}

describe('AvisoClient without a relay', () => {
  it('reopens the same identity from the same dataDir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aviso-client-'));
    dirs.push(dir);
    const a = await AvisoClient.open({ dataDir: dir });
    const key = a.identityKey;
    await a.close();
    const b = await AvisoClient.open({ dataDir: dir });
    expect(b.identityKey).toEqual(key);
    await b.close();
    const other = await AvisoClient.open();
    expect(other.identityKey).not.toEqual(key);
    await other.close();
  });

  it('throws typed errors before touching the network', async () => {
    const fresh = await AvisoClient.open();
    expect(() => fresh.accountId).toThrow(NotRegisteredError);
    await expect(fresh.sendDirect('7c9e6679-7425-40de-944b-e07fc1f90ae7', { text: 'x' })).rejects.toBeInstanceOf(NotRegisteredError);
    await expect(fresh.connect()).rejects.toBeInstanceOf(NotRegisteredError);
    await fresh.close();

    const ca = new TestAuthority();
    expect(() => fresh.relayUrl).toThrow(NotRegisteredError);
    const client = await AvisoClient.open({ store: registeredStore(new Party(), ca) });
    expect(client.relayUrl).toBe(DEAD_RELAY);
    await expect(client.register({ relayUrl: DEAD_RELAY, registrationToken: 'token-123456' })).rejects.toBeInstanceOf(AlreadyRegisteredError);
    await expect(client.sendDirect(new Party().accountId, { text: 'é'.repeat(LIMITS.maxTextBytes / 2 + 1) })).rejects.toBeInstanceOf(MessageTooLargeError);
    await client.close();
  });

  it('processes envelopes left unprocessed: delivers each message once, rejects tampered and replayed ones, commits nothing for them', async () => {
    const ca = new TestAuthority();
    const alice = new Party();
    const bob = new Party();
    const store = registeredStore(bob, ca);

    const { zone, stores } = alice.zone();
    await buildSessions(stores, alice.address, bob.accountId, bob.bundle());
    const content = (text: string, sentAt: number): Content => ({ v: 1, sentAt, body: { type: 'direct', text } });
    const cert = ca.issue(alice);
    const m1 = await sealContent(content('first', 1000), bob.address, cert, stores);
    const m1again = await sealContent(content('first', 1000), bob.address, cert, stores); // same message, new ciphertext
    const m2 = await sealContent(content('second', 2000), bob.address, cert, stores);
    zone.commit();
    const tampered = new Uint8Array(m2.ciphertext);
    tampered[tampered.length - 3]! ^= 0xff;

    const now = Date.now();
    const env = (guid: string, bytes: Uint8Array, i: number) => ({ guid, serverTimestamp: now, content: toBase64(bytes), receivedAt: now + i });
    const g = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
    store.commit({
      addUnprocessed: [env(g(1), m1.ciphertext, 1), env(g(2), m1.ciphertext, 2), env(g(3), tampered, 3), env(g(4), m1again.ciphertext, 4), env(g(5), m2.ciphertext, 5)],
    });

    const client = await AvisoClient.open({ store });
    const direct: DirectMessage[] = [];
    const rejected: RejectedEnvelope[] = [];
    client.on('direct', (m) => direct.push(m));
    client.on('rejected', (r) => rejected.push(r));
    client.on('error', () => {}); // the dead relay
    const connecting = client.connect().catch((e: unknown) => e);
    while (store.listUnprocessed().length > 0) await new Promise((r) => setTimeout(r, 10));

    expect(direct.map((m) => [m.from, m.text, m.sentAt])).toEqual([
      [alice.accountId, 'first', 1000],
      [alice.accountId, 'second', 2000],
    ]);
    expect(rejected.map((r) => [r.guid, r.reason])).toEqual([
      [g(2), 'duplicate'], // same ciphertext again: the ratchet refuses it
      [g(3), 'decrypt-failed'],
      [g(4), 'duplicate'], // new ciphertext, same (sender, device, sentAt)
    ]);
    for (let i = 1; i <= 5; i++) expect(store.isEnvelopeProcessed(g(i))).toBe(true);
    expect(store.isMessageProcessed({ sender: alice.accountId, device: 1, sentAt: 1000 })).toBe(true);
    expect(store.getPreKey(30)).toBeUndefined(); // consumed with the first message, in the same commit
    await client.close();
    expect(await connecting).toBeInstanceOf(Error);
  });
});
