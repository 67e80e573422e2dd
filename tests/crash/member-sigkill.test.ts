import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ClientPool } from '../support/clients.js';
import { RelayProcess } from '../support/relay.js';
import { scale } from '../support/scale.js';
import { between, groupOf, isTransient, RELAY_ENV, seeded, sleep } from './helpers.js';
import { killWorkers, Worker, type Line } from './worker.js';

// A member's device runs as its own process (member-worker.ts) and is killed with SIGKILL at random
// moments while alerts stream in, then restarted on the same SQLite store, again and again.
//
// "Delivered to the application" means: present in the SDK's durable store (`group.alerts()`), which
// is what an app shows after a restart. The SDK's guarantee, which this test checks (docs/sdk.md
// "Offline drain"):
//  - decryption, the alert row, the ratchet step and the "processed" marks (envelope guid and
//    (sender, device, sentAt)) commit in one transaction; a run of envelopes ends with one sync of
//    the store, and only then are its envelopes acknowledged, so a crash before that sync leaves
//    them with the relay, which delivers them again: one whose commit survived is recognised by its
//    guid, one whose commit was lost is processed again;
//  - an envelope that cannot be processed now is stored unprocessed before its acknowledgement;
//  - the `alert` event fires after the sync: an app may miss an event (killed between the sync and
//    the event) but never sees one twice, and the store always has the alert.
const CYCLES = scale(3, 20);

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
  killWorkers();
  await pool.dispose();
  await relay.dispose();
});

describe('member process killed with SIGKILL while it receives alerts', () => {
  test(`${CYCLES} kill/restart cycles: every alert ends up in the store exactly once, none surfaces twice, later alerts decrypt`, async () => {
    const seed = Date.now();
    const random = seeded(seed);
    const [m0, m1, m2] = await groupOf(relay, pool, 2);
    const senders = [m0!, m1!];
    const victim = m2!;
    const groupId = victim.group.id;
    await victim.client.close(); // from now on the worker process is this member's device
    for (const s of senders) await s.client.connect();

    const sent: { title: string; acked: boolean }[] = [];
    const hardFailures: string[] = [];
    let stop = false;
    let n = 0;
    const stream = async () => {
      while (!stop) {
        const from = senders[n % senders.length]!;
        const title = `alert|${from.name}#${++n}`;
        try {
          await from.group.sendAlert({ kind: 'raid', severity: 'critical', title, requestAck: false });
          sent.push({ title, acked: true });
        } catch (err) {
          sent.push({ title, acked: false });
          if (!isTransient(err)) hardFailures.push(`${title}: ${String(err)}`);
        }
        await sleep(between(random, 10, 80));
      }
    };

    const runs: Worker[] = [];
    const streaming = stream();
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const w = new Worker(victim.dir, groupId);
      runs.push(w);
      await w.waitFor((ls) => ls.some((l) => l.t === 'ready'), 'ready');
      // Kill mid-stream: right after the k-th alert reached the app, give or take a few milliseconds.
      const k = between(random, 1, 6);
      await w.waitFor((ls) => ls.filter((l) => l.t === 'alert').length >= k, `${k} alerts`);
      await sleep(between(random, 0, 40));
      await w.kill();
    }
    stop = true;
    await streaming;

    // Restart once more, check that alerts sent after all the crashes still decrypt, then read the store.
    const last = new Worker(victim.dir, groupId);
    runs.push(last);
    await last.waitFor((ls) => ls.some((l) => l.t === 'ready'), 'ready');
    const after = senders.map((s) => `alert|after|${s.name}`);
    for (const [i, s] of senders.entries()) await s.group.sendAlert({ kind: 'raid', severity: 'critical', title: after[i]!, requestAck: false });
    for (const title of after) sent.push({ title, acked: true });
    await last.waitFor((ls) => after.every((t) => ls.some((l) => l.t === 'alert' && l.title === t)), 'the post-crash alerts');
    last.dump();
    await last.waitFor((ls) => ls.some((l) => l.t === 'dump'), 'the store dump');
    await last.exited;

    const dump = last.lines.find((l): l is Extract<Line, { t: 'dump' }> => l.t === 'dump')!;
    const all = runs.flatMap((r) => r.lines);
    const surfaced = all.filter((l): l is Extract<Line, { t: 'alert' }> => l.t === 'alert').map((l) => l.title);
    const acked = sent.filter((s) => s.acked).map((s) => s.title);
    console.info(`member SIGKILL: seed ${seed}, ${CYCLES} cycles, ${sent.length} alerts sent, ${acked.length} acknowledged, ${surfaced.length} events surfaced, ${dump.alerts.length} in the store`);

    expect(hardFailures).toEqual([]);
    expect(acked.filter((t) => !dump.alerts.includes(t)), 'acknowledged alerts missing from the store').toEqual([]);
    expect(dump.alerts.length, 'an alert stored twice').toBe(new Set(dump.alerts).size);
    expect(dump.alerts.filter((t) => !sent.some((s) => s.title === t)), 'stored alerts nobody sent').toEqual([]);
    expect(surfaced.length, 'an alert event surfaced twice across restarts').toBe(new Set(surfaced).size);
    expect(all.filter((l) => l.t === 'rejected'), 'rejected envelopes').toEqual([]);
    expect(all.filter((l) => l.t === 'error' && !l.transient), 'errors').toEqual([]);
  }, TIMEOUT_MS);
});
