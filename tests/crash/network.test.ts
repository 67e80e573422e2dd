import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { AvisoClient, ConnectionState } from '@aviso/client';
import { ClientPool } from '../support/clients.js';
import { RelayProcess } from '../support/relay.js';
import { scale } from '../support/scale.js';
import { FaultyProxy } from '../support/tcp-proxy.js';
import { between, CLIENT_OPTIONS, isTransient, RELAY_ENV, seeded, Seen, sleep, until } from './helpers.js';

// Bob's device and Carol's reach the relay through a proxy that cuts connections after a random
// number of bytes (inside a WebSocket frame or an HTTP body) and goes half-open (forwards nothing,
// closes nothing). Alice sends straight to the relay, Carol through the faulty network. Bob must
// notice a dead link by himself (client keepalive: a ping unanswered within `keepalive.timeoutMs`),
// reconnect with backoff, and end up with every acknowledged message exactly once; a send whose call
// failed (Carol's, cut or timed out) may arrive or not, but never twice.
const CYCLES = scale(3, 20);

/** Generous: a loaded machine starts a relay process in seconds, not milliseconds. */
const TIMEOUT_MS = scale(300_000, 3_600_000);

let relay: RelayProcess;
let pool: ClientPool;
let proxy: FaultyProxy;
beforeEach(async (ctx) => {
  relay = await RelayProcess.start({ env: RELAY_ENV });
  proxy = await FaultyProxy.start({ host: '127.0.0.1', port: Number(new URL(relay.url).port) });
  pool = new ClientPool();
  ctx.onTestFailed(() => console.error(`--- relay log ---\n${relay.log.slice(-20_000)}`));
});
afterEach(async () => {
  await pool.dispose();
  await proxy.close();
  await relay.dispose();
});

async function member(name: string, relayUrl: string, registrationToken: string): Promise<AvisoClient> {
  const client = await pool.open(pool.newDataDir(name), CLIENT_OPTIONS);
  await client.register({ relayUrl, registrationToken });
  return client;
}

describe('network faults between clients and the relay', () => {
  test(`${CYCLES} cuts mid-frame and half-open outages: detected, reconnected, every acknowledged message once`, async () => {
    const seed = Date.now();
    const random = seeded(seed);
    const token = await relay.createToken(3);
    const alice = await member('alice', relay.url, token);
    const bob = await member('bob', proxy.url(relay.url), token);
    const carol = await member('carol', proxy.url(relay.url), token);
    const seen = new Seen(bob);
    const states: ConnectionState[] = [];
    bob.on('connection', (s) => states.push(s));
    await bob.connect();

    const sent: { text: string; acked: boolean }[] = [];
    const hardFailures: string[] = [];
    let stop = false;
    const stream = async (from: AvisoClient, name: string) => {
      for (let i = 1; !stop; i++) {
        const text = `${name}#${i}`;
        try {
          await from.sendDirect(bob.accountId, { text });
          sent.push({ text, acked: true });
        } catch (err) {
          sent.push({ text, acked: false });
          if (!isTransient(err)) hardFailures.push(`${text}: ${String(err)}`);
        }
        await sleep(between(random, 10, 60));
      }
    };
    const streams = [stream(alice, 'alice'), stream(carol, 'carol')];

    const faults: string[] = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await until(() => bob.isRegistered && states.at(-1) === 'open', () => 'Bob to be connected');
      await sleep(between(random, 200, 1_000));
      const kind = cycle % 3 === 0 ? 'half-open' : random() < 0.6 ? 'cut-down' : 'cut-up';
      if (kind === 'half-open') {
        const before = states.length;
        proxy.blackhole();
        // Nothing closes the socket: only Bob's own keepalive can tell the link is dead.
        await until(() => states.slice(before).includes('reconnecting'), () => 'Bob to notice the half-open connection', 60_000);
        await sleep(between(random, 0, 1_000)); // reconnect attempts hang meanwhile
        proxy.heal();
        faults.push('half-open');
      } else {
        const bytes = between(random, 0, kind === 'cut-down' ? 4_000 : 600);
        const accepted = proxy.accepted;
        const before = states.length;
        proxy.cutAfter(bytes, kind === 'cut-down' ? 'down' : 'up');
        // The cut fires when that many bytes have passed (keepalive pings guarantee traffic); Bob then reconnects.
        await until(() => proxy.accepted > accepted && states.slice(before).includes('reconnecting') && states.at(-1) === 'open', () => `a reconnect after cutting ${kind} at ${bytes} bytes`, 60_000);
        faults.push(`${kind}@${bytes}`);
      }
    }
    proxy.heal(); // cuts still armed on idle connections would otherwise fire during the final check
    await until(() => states.at(-1) === 'open', () => 'Bob to be connected');
    stop = true;
    await Promise.all(streams);
    for (const [from, name] of [[alice, 'alice'], [carol, 'carol']] as const) {
      await from.sendDirect(bob.accountId, { text: `${name}#after` });
      sent.push({ text: `${name}#after`, acked: true });
    }

    const acked = sent.filter((s) => s.acked).map((s) => s.text);
    await until(() => acked.every((t) => seen.has(t)), () => `acknowledged messages (missing ${acked.filter((t) => !seen.has(t)).join(', ')})`);
    await sleep(1_000); // room for a duplicate to surface, if one were coming
    console.info(`network faults: seed ${seed}, ${faults.join(' ')}; ${sent.length} sent, ${acked.length} acknowledged, ${seen.counts.size} received, ${proxy.accepted} proxied connections`);

    expect(hardFailures).toEqual([]);
    expect(seen.duplicates()).toEqual([]);
    expect([...seen.counts.keys()].filter((t) => !sent.some((s) => s.text === t)), 'received something never sent').toEqual([]);
    expect(seen.rejected).toEqual([]);
    expect(seen.unexpectedErrors()).toEqual([]);
  }, TIMEOUT_MS);
});
