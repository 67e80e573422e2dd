import { describe, expect, test } from 'vitest';
import type { AvisoClient } from '@aviso/client';
import { type ClientPool, collect, nextEvent } from '../support/clients.js';
import type { RelayProcess } from '../support/relay.js';
import { useRelay } from '../support/harness.js';

const direct = (client: AvisoClient, text: string) => nextEvent(client, 'direct', (m) => m.text === text);

let relay: RelayProcess;
let pool: ClientPool;

useRelay((r, p) => ((relay = r), (pool = p)));

describe('one-to-one messages through a real relay', () => {
  test('two members exchange messages both ways', async () => {
    const alice = await pool.registered(relay, 'alice');
    const bob = await pool.registered(relay, 'bob');
    expect(alice.accountId).not.toBe(bob.accountId);
    await alice.connect();
    await bob.connect();

    const toBob = direct(bob, 'agents staging at the car wash on 5th and Main');
    await alice.sendDirect(bob.accountId, { text: 'agents staging at the car wash on 5th and Main' });
    const got = await toBob;
    expect(got.from).toBe(alice.accountId);
    expect(got.sentAt).toBeGreaterThan(0);

    const toAlice = direct(alice, 'on my way, 5 minutes');
    await bob.sendDirect(alice.accountId, { text: 'on my way, 5 minutes' });
    expect((await toAlice).from).toBe(bob.accountId);

    // The conversation keeps working once both ratchets have turned.
    const again = direct(bob, 'observers needed at the corner');
    await alice.sendDirect(bob.accountId, { text: 'observers needed at the corner' });
    expect((await again).from).toBe(alice.accountId);
  });

  test('both members see the same safety number', async () => {
    const alice = await pool.registered(relay, 'alice');
    const bob = await pool.registered(relay, 'bob');
    const a = await alice.safetyNumber(bob.accountId);
    const b = await bob.safetyNumber(alice.accountId);
    expect(a).toMatch(/^\d{60}$/);
    expect(a).toBe(b);
  });

  test('a message sent while the recipient is offline arrives when it connects', async () => {
    const alice = await pool.registered(relay, 'alice');
    const bobDir = pool.newDataDir('bob');
    let bob = await pool.open(bobDir);
    await bob.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
    const bobId = bob.accountId;
    await bob.close();

    await alice.sendDirect(bobId, { text: 'raid reported at the laundromat' });
    await alice.sendDirect(bobId, { text: 'second report: two vans' });

    bob = await pool.open(bobDir); // same folder, same identity
    expect(bob.accountId).toBe(bobId);
    const received = collect(bob, 'direct');
    await bob.connect(); // resolves once the backlog is drained
    expect(received.map((m) => m.text)).toEqual(['raid reported at the laundromat', 'second report: two vans']);
    expect(received.every((m) => m.from === alice.accountId)).toBe(true);
  });

  test('the relay is restarted between send and receive and nothing is lost', async () => {
    const alice = await pool.registered(relay, 'alice');
    const bobDir = pool.newDataDir('bob');
    let bob = await pool.open(bobDir);
    await bob.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
    const bobId = bob.accountId;
    await bob.close();

    for (let i = 1; i <= 5; i++) await alice.sendDirect(bobId, { text: `update ${i}` });
    expect(await relay.stop()).toBe(0); // graceful: SIGTERM, exit code 0
    await relay.start(); // same data folder, same address

    bob = await pool.open(bobDir);
    const received = collect(bob, 'direct');
    await bob.connect();
    expect(received.map((m) => m.text)).toEqual(['update 1', 'update 2', 'update 3', 'update 4', 'update 5']);

    // Delivered messages are gone from the relay: a reconnect brings nothing twice.
    await bob.close();
    bob = await pool.open(bobDir);
    const again = collect(bob, 'direct');
    await bob.connect();
    expect(again).toEqual([]);
  });
});
