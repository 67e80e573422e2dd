import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ClientPool } from '../support/clients.js';
import { RelayProcess } from '../support/relay.js';
import { scale } from '../support/scale.js';
import { between, groupOf, RELAY_ENV, seeded, sleep } from './helpers.js';
import { killWorkers, Worker, type Line } from './worker.js';

// A member's device that was offline while a backlog of alerts built up is killed with SIGKILL in
// the middle of draining it (member-worker.ts, its own process), again and again, each time on the
// same SQLite store. The inbox processes envelopes in runs: each envelope's commit does not wait for
// the disk, one sync ends the run, and only then are the run's envelopes acknowledged and their
// events emitted (docs/sdk.md "Offline drain"). A kill anywhere in a run must lose nothing (the
// relay still holds whatever was not acknowledged, and what was committed is recognised when it is
// delivered again) and surface nothing twice (events come after the commit they report).
const CYCLES = scale(3, 10);
/** Enough that every kill lands mid-drain: a run is at most 50 envelopes, a cycle takes a few runs. */
const BACKLOG = scale(400, 2_000);
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

const progressOf = (lines: Line[]) => lines.filter((l): l is Extract<Line, { t: 'progress' }> => l.t === 'progress');

describe('member process killed with SIGKILL while it drains its offline backlog', () => {
  test(`${BACKLOG} queued alerts, ${CYCLES} kills mid-drain: every alert ends up in the store exactly once, none surfaces twice`, async () => {
    const seed = Date.now();
    const random = seeded(seed);
    const [sender, victim] = await groupOf(relay, pool, 1);
    const groupId = victim!.group.id;
    await victim!.client.close(); // offline from here; the worker process is this member's device
    await sender!.client.connect();
    const sent = Array.from({ length: BACKLOG }, (_, i) => `drain|${i}`);
    // A few at a time: the backlog builds quickly, in the order the relay will hand it over.
    for (let i = 0; i < sent.length; i += 8) {
      await Promise.all(sent.slice(i, i + 8).map((title) => sender!.group.sendAlert({ kind: 'raid', severity: 'critical', title, requestAck: false })));
    }

    const runs: Worker[] = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const w = new Worker(victim!.dir, groupId);
      runs.push(w);
      // The first run of envelopes is committed, synced, acknowledged and surfaced: kill a few ms later.
      await w.waitFor((ls) => progressOf(ls).length > 0, 'the first drain-progress');
      await sleep(between(random, 0, 15));
      await w.kill();
      expect(w.lines.some((l) => l.t === 'ready'), `cycle ${cycle}: killed mid-drain, before connect() resolved`).toBe(false);
    }

    const last = new Worker(victim!.dir, groupId);
    runs.push(last);
    await last.waitFor((ls) => ls.some((l) => l.t === 'ready'), 'ready');
    const after = 'drain|after';
    await sender!.group.sendAlert({ kind: 'raid', severity: 'critical', title: after, requestAck: false });
    await last.waitFor((ls) => ls.some((l) => l.t === 'alert' && l.title === after), 'the alert sent after the crashes');
    last.dump();
    await last.waitFor((ls) => ls.some((l) => l.t === 'dump'), 'the store dump');
    await last.exited;

    const dump = last.lines.find((l): l is Extract<Line, { t: 'dump' }> => l.t === 'dump')!;
    const all = runs.flatMap((r) => r.lines);
    const surfaced = all.filter((l): l is Extract<Line, { t: 'alert' }> => l.t === 'alert').map((l) => l.title);
    console.info(`drain SIGKILL: seed ${seed}, ${BACKLOG} queued, ${CYCLES} kills, surfaced per run ${runs.map((r) => r.lines.filter((l) => l.t === 'alert').length).join('/')}, ${dump.alerts.length} in the store`);

    const expected = [...sent, after];
    expect(expected.filter((t) => !dump.alerts.includes(t)), 'queued alerts missing from the store').toEqual([]);
    expect(dump.alerts.length, 'an alert stored twice, or one nobody sent').toBe(expected.length);
    expect(new Set(dump.alerts).size).toBe(dump.alerts.length);
    expect(surfaced.length, 'an alert event surfaced twice across restarts').toBe(new Set(surfaced).size);
    expect(all.filter((l) => l.t === 'rejected'), 'rejected envelopes').toEqual([]);
    expect(all.filter((l) => l.t === 'error' && !l.transient), 'errors').toEqual([]);
    // Progress: counts grow within a run; the drain that completed says so before connect() resolved.
    for (const r of runs) {
      const done = progressOf(r.lines).map((p) => p.done);
      expect(done, 'drain-progress counts only grow').toEqual([...done].sort((a, b) => a - b));
    }
    const lastProgress = progressOf(last.lines);
    if (lastProgress.length > 0) {
      const ready = last.lines.findIndex((l) => l.t === 'ready');
      expect(last.lines.slice(0, ready).filter((l) => l.t === 'progress').at(-1), 'the completed drain reports complete before connect() resolves').toMatchObject({ complete: true });
    }
  }, TIMEOUT_MS);
});
