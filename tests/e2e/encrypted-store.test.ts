import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { AvisoClient } from '@aviso/client';
import { type ClientPool, nextEvent } from '../support/clients.js';
import type { RelayProcess } from '../support/relay.js';
import { useRelay } from '../support/harness.js';

const direct = (client: AvisoClient, text: string) => nextEvent(client, 'direct', (m) => m.text === text);
const folderBytes = (dir: string) => Buffer.concat(readdirSync(dir).map((f) => readFileSync(join(dir, f))));

let relay: RelayProcess;
let pool: ClientPool;

useRelay((r, p) => ((relay = r), (pool = p)));

describe('encrypted member stores against a real relay', () => {
  test('libsignal sessions survive closing and reopening with the passphrase, and the folders hold no plaintext', async () => {
    const aliceDir = pool.newDataDir('alice');
    const bobDir = pool.newDataDir('bob');
    let alice = await pool.open(aliceDir, { passphrase: 'alice passphrase' });
    let bob = await pool.open(bobDir, { passphrase: 'bob passphrase' });
    await alice.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
    await bob.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
    const [aliceId, bobId] = [alice.accountId, bob.accountId];
    await alice.connect();
    await bob.connect();
    const first = direct(bob, 'vans parked behind the school');
    await alice.sendDirect(bobId, { text: 'vans parked behind the school' });
    await first;
    const reply = direct(alice, 'heading there now');
    await bob.sendDirect(aliceId, { text: 'heading there now' });
    await reply;
    // While open, the -wal holds the latest writes: it is encrypted too.
    for (const dir of [aliceDir, bobDir]) {
      for (const text of [aliceId, bobId, 'heading there now', 'vans parked behind the school']) expect(folderBytes(dir).includes(text)).toBe(false);
    }
    await alice.close();
    await bob.close();

    alice = await pool.open(aliceDir, { passphrase: 'alice passphrase' });
    bob = await pool.open(bobDir, { passphrase: 'bob passphrase' });
    expect([alice.accountId, bob.accountId]).toEqual([aliceId, bobId]);
    await alice.connect();
    await bob.connect();
    const again = direct(bob, 'still there, two officers');
    await alice.sendDirect(bobId, { text: 'still there, two officers' });
    expect((await again).from).toBe(aliceId);
    const back = direct(alice, 'copy');
    await bob.sendDirect(aliceId, { text: 'copy' });
    expect((await back).from).toBe(bobId);
  });
});
