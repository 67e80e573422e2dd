import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ACK_STATUSES } from '@aviso/protocol';
import { ClientPool } from '../support/clients.js';
import { RelayProcess } from '../support/relay.js';
import { scale } from '../support/scale.js';
import { ackKey, between, groupOf, isTransient, RELAY_ENV, seeded, Seen, sleep, until, type Member } from './helpers.js';

// The relay is killed with SIGKILL (no shutdown path runs) at random moments while members send 1:1
// messages, group alerts and acknowledgements, and receive. A send whose SDK call resolved was
// acknowledged by the relay: it must reach every addressee's application exactly once. A send whose
// call failed may or may not arrive, but never twice. Sessions and sender keys must survive.
const CYCLES = scale(3, 20);
const MEMBERS = scale(3, 4); // plus the admin

/** Generous: a loaded machine starts a relay process in seconds, not milliseconds. */
const TIMEOUT_MS = scale(300_000, 3_600_000);

let relay: RelayProcess;
let pool: ClientPool;
beforeEach(async (ctx) => {
  relay = await RelayProcess.start({ env: RELAY_ENV });
  pool = new ClientPool();
  ctx.onTestFailed(() => console.error(`--- relay log (${relay.dataDir}) ---\n${relay.log.slice(-20_000)}`));
});
afterEach(async () => {
  await pool.dispose();
  await relay.dispose();
});

interface Attempt {
  key: string;
  to: string[];
  acked: boolean;
}

describe('relay killed with SIGKILL while members send and receive', () => {
  test(`${CYCLES} kill/restart cycles: every acknowledged send arrives exactly once, and nothing breaks the ratchets`, async () => {
    const seed = Date.now();
    const random = seeded(seed);
    const tSetup = Date.now();
    const members = await groupOf(relay, pool, MEMBERS);
    const seen = new Map(members.map((m) => [m.name, new Seen(m.client)]));
    const alertsSeen = new Map<string, string[]>(members.map((m) => [m.name, []]));
    for (const m of members) m.client.on('alert', (a) => alertsSeen.get(m.name)!.push(a.id));
    for (const m of members) await m.client.connect();

    const attempts: Attempt[] = [];
    const hardFailures: string[] = [];
    let stop = false;
    let n = 0;

    /** One member's send loop: a random 1:1 message, alert or acknowledgement, over and over. */
    const sender = async (me: Member) => {
      const others = members.filter((m) => m !== me);
      const acked = new Set<string>();
      while (!stop) {
        const roll = random();
        const attempt = await (async (): Promise<Attempt | undefined> => {
          const tag = `${me.name}#${++n}`;
          if (roll < 0.45) {
            const to = others[Math.floor(random() * others.length)]!;
            const key = `direct|${tag}`;
            return send({ key, to: [to.name], acked: false }, () => me.client.sendDirect(to.client.accountId, { text: key }));
          }
          if (roll < 0.75) {
            const key = `alert|${tag}`;
            return send({ key, to: others.map((o) => o.name), acked: false }, () => me.group.sendAlert({ kind: 'raid', severity: 'urgent', title: key, requestAck: true }));
          }
          const alertId = alertsSeen.get(me.name)!.find((id) => !acked.has(id));
          if (alertId === undefined) return undefined;
          acked.add(alertId); // at most one acknowledgement per alert, so each has its own key
          const status = ACK_STATUSES[Math.floor(random() * ACK_STATUSES.length)]!;
          return send({ key: ackKey(me.client.accountId, alertId), to: others.map((o) => o.name), acked: false }, () => me.group.acknowledge(alertId, status));
        })();
        if (attempt) attempts.push(attempt);
        await sleep(between(random, 5, 60));
      }
    };
    const send = async (attempt: Attempt, fn: () => Promise<unknown>): Promise<Attempt> => {
      try {
        await fn();
        attempt.acked = true;
      } catch (err) {
        if (!isTransient(err)) hardFailures.push(`${attempt.key}: ${String(err)}`);
        await sleep(200); // the relay is down: do not spin
      }
      return attempt;
    };

    const loops = members.map((m) => sender(m));
    const t0 = Date.now();
    const setupMs = t0 - tSetup;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await sleep(between(random, 200, 1_500));
      await relay.kill('SIGKILL');
      await sleep(between(random, 0, 300));
      await relay.start();
    }
    const crashMs = Date.now() - t0;
    await sleep(500);
    stop = true;
    await Promise.all(loops);

    // After the last crash, every member sends once more to everyone: these must go through and decrypt.
    for (const me of members) {
      for (const to of members.filter((m) => m !== me)) {
        const key = `direct|after|${me.name}>${to.name}`;
        await me.client.sendDirect(to.client.accountId, { text: key });
        attempts.push({ key, to: [to.name], acked: true });
      }
      const key = `alert|after|${me.name}`;
      await me.group.sendAlert({ kind: 'raid', severity: 'urgent', title: key, requestAck: false });
      attempts.push({ key, to: members.filter((m) => m !== me).map((m) => m.name), acked: true });
    }

    const tDrain = Date.now();
    const expected = (name: string) => attempts.filter((a) => a.acked && a.to.includes(name)).map((a) => a.key);
    await until(
      () => members.every((m) => expected(m.name).every((k) => seen.get(m.name)!.has(k))),
      () => `acknowledged sends to arrive; missing: ${members.map((m) => `${m.name}: ${expected(m.name).filter((k) => !seen.get(m.name)!.has(k)).join(', ')}`).join('; ')}`,
    );
    const drainMs = Date.now() - tDrain;
    await sleep(1_000); // room for a duplicate or a late redelivery to surface, if one were coming

    const acked = attempts.filter((a) => a.acked).length;
    // Failed calls whose send the relay had committed before it died: the app was told "failed", yet it arrives.
    const ambiguous = attempts.filter((a) => !a.acked && a.to.some((to) => seen.get(to)!.has(a.key))).length;
    console.info(`relay SIGKILL: seed ${seed}, setup ${setupMs} ms, ${CYCLES} cycles in ${crashMs} ms, final sends and drain ${drainMs} ms, ${attempts.length} sends, ${acked} acknowledged, ${attempts.length - acked} failed while the relay was down, ${ambiguous} of those delivered anyway`);
    expect(hardFailures).toEqual([]);
    for (const m of members) {
      const s = seen.get(m.name)!;
      const addressed = new Set(attempts.filter((a) => a.to.includes(m.name)).map((a) => a.key));
      expect(s.duplicates(), `${m.name} duplicates`).toEqual([]);
      expect([...s.counts.keys()].filter((k) => !addressed.has(k)), `${m.name} got something never sent to it`).toEqual([]);
      expect(s.rejected, `${m.name} rejected envelopes`).toEqual([]);
      expect(s.unexpectedErrors(), `${m.name} errors`).toEqual([]);
      // The durable store agrees with what the application saw: each received alert once (own alerts are stored too).
      const stored = (await m.group.alerts()).filter((a) => a.from !== m.client.accountId).map((a) => a.title);
      expect(new Set(stored).size).toBe(stored.length);
      const alertKeys = [...s.counts.keys()].filter((k) => k.startsWith('alert|'));
      expect(stored.sort()).toEqual(alertKeys.sort());
    }
  }, TIMEOUT_MS);
});
