import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { type ClientPool, collect } from '../support/clients.js';
import type { RelayProcess } from '../support/relay.js';
import { useRelay } from '../support/harness.js';

/**
 * The relay is not trusted with content. These tests play a relay operator (or whoever seized the
 * machine) who edits the database directly, and check that clients notice and the data reveals nothing.
 */
let relay: RelayProcess;
let pool: ClientPool;

useRelay((r, p) => ((relay = r), (pool = p)));

interface StoredMessage {
  id: number;
  guid: string;
  account_id: string;
  device_id: number;
  received_at: number;
  expires_at: number;
  content: Buffer;
  shared_id: number | null;
}

function openRelayDb(): Database.Database {
  return new Database(join(relay.dataDir, 'aviso.sqlite'), { fileMustExist: true });
}

function storedMessages(): StoredMessage[] {
  const db = openRelayDb();
  try {
    return db.prepare('SELECT * FROM messages ORDER BY id').all() as StoredMessage[];
  } finally {
    db.close();
  }
}

/** A member who registered and went offline: returns the folder to reopen it and its account id. */
async function offlineMember(name: string): Promise<{ dir: string; accountId: string }> {
  const dir = pool.newDataDir(name);
  const client = await pool.open(dir);
  await client.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
  await client.close();
  return { dir, accountId: client.accountId };
}

const uuidBytes = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex');

describe('a relay that edits its own database', () => {
  test('a tampered envelope is rejected by the recipient and the next one still arrives', async () => {
    const alice = await pool.registered(relay, 'alice');
    const bob = await offlineMember('bob');
    await alice.sendDirect(bob.accountId, { text: 'first report' });
    await alice.sendDirect(bob.accountId, { text: 'second report' });

    const [first] = storedMessages();
    expect(first).toBeDefined();
    const tampered = Buffer.from(first!.content);
    tampered[tampered.length - 10]! ^= 0x01; // one bit, deep in the ciphertext
    const db = openRelayDb();
    db.prepare('UPDATE messages SET content = ? WHERE id = ?').run(tampered, first!.id);
    db.close();

    const client = await pool.open(bob.dir);
    const received = collect(client, 'direct');
    const rejected = collect(client, 'rejected');
    await client.connect();
    expect(rejected.map((r) => [r.guid, r.reason])).toEqual([[first!.guid, 'decrypt-failed']]);
    expect(received.map((m) => m.text)).toEqual(['second report']);
    // Both were acknowledged before connect() resolved; the relay deletes them as it reads the acks.
    await expect.poll(() => storedMessages(), { timeout: 10_000 }).toEqual([]);
  });

  test('an envelope the relay replays is never shown twice', async () => {
    const alice = await pool.registered(relay, 'alice');
    const bob = await offlineMember('bob');
    await alice.sendDirect(bob.accountId, { text: 'checkpoint on Alameda' });
    const [original] = storedMessages();
    expect(original).toBeDefined();

    let client = await pool.open(bob.dir);
    const first = collect(client, 'direct');
    await client.connect();
    expect(first.map((m) => m.text)).toEqual(['checkpoint on Alameda']);
    await client.close();

    // Re-insert the same ciphertext twice: once under its old guid, once under a fresh one.
    const freshGuid = randomUUID();
    const db = openRelayDb();
    const insert = db.prepare(
      'INSERT INTO messages (guid, account_id, device_id, received_at, expires_at, content) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const guid of [original!.guid, freshGuid])
      insert.run(guid, original!.account_id, original!.device_id, original!.received_at, original!.expires_at, original!.content);
    db.close();

    client = await pool.open(bob.dir);
    const again = collect(client, 'direct');
    const rejected = collect(client, 'rejected');
    await client.connect();
    expect(again).toEqual([]);
    // The old guid looks like an ordinary redelivery after a lost acknowledgement and is dropped
    // quietly; the same ciphertext under a new guid is reported.
    expect(rejected.map((r) => r.guid)).toEqual([freshGuid]);
    expect(['duplicate', 'decrypt-failed']).toContain(rejected[0]!.reason);
    await expect.poll(() => storedMessages(), { timeout: 10_000 }).toEqual([]);
  });
});

describe('what a seized relay holds', () => {
  test('the data folder holds no plaintext and stored envelopes name no sender', async () => {
    const texts = ['agents staging at the car wash on 5th and Main', 'legal observers to Compton courthouse'];
    const alice = await pool.registered(relay, 'alice');
    const carol = await pool.registered(relay, 'carol');
    await carol.connect();
    const bob = await offlineMember('bob');

    await alice.sendDirect(carol.accountId, { text: texts[0]! }); // delivered live, then deleted
    await alice.sendDirect(bob.accountId, { text: texts[1]! }); // still queued for bob

    // The queued envelope names its recipient (it must, to be delivered) but never its sender.
    const queued = storedMessages();
    expect(queued).toHaveLength(1);
    expect(queued[0]!.account_id).toBe(bob.accountId);
    for (const m of queued) {
      expect(Object.keys(m).sort()).toEqual(['account_id', 'content', 'device_id', 'expires_at', 'guid', 'id', 'received_at', 'shared_id']);
      expect(m.shared_id).toBeNull(); // a 1:1 envelope has no shared group payload
      expect(m.content.includes(Buffer.from(alice.accountId))).toBe(false);
      expect(m.content.includes(uuidBytes(alice.accountId))).toBe(false);
      expect(m.received_at % 60_000).toBe(0); // arrival time kept to the minute only
    }

    const scan = () => {
      const files = readdirSync(relay.dataDir);
      expect(files).toContain('aviso.sqlite');
      for (const file of files) {
        const bytes = readFileSync(join(relay.dataDir, file));
        for (const text of texts) {
          expect(bytes.includes(Buffer.from(text, 'utf8')), `${file} holds "${text}"`).toBe(false);
          expect(bytes.includes(Buffer.from(text, 'utf16le')), `${file} holds "${text}" (UTF-16)`).toBe(false);
        }
      }
      return files;
    };
    // While running, the WAL holds the recent writes; after a clean stop, everything is in the database.
    expect(scan().some((f) => f.endsWith('-wal'))).toBe(true);
    expect(await relay.stop()).toBe(0);
    scan();
  });
});
