import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ClientPool } from '../support/clients.js';
import { RelayProcess } from '../support/relay.js';
import { scale } from '../support/scale.js';
import { between, CLIENT_OPTIONS, isTransient, RELAY_ENV, seeded, sleep } from './helpers.js';
import { canMountExt4, ext4Disk, type Ext4Disk } from './storage-faults.js';
import { killWorkers, Worker, type Line } from './worker.js';

// Stronger than SIGKILL: the member's device loses its disk mid-stream. Its store lives on an ext4
// loop mount that the kernel turns read-only (nothing written afterwards, nor anything not yet
// fsynced, reaches the disk: a power cut, as far as the store can tell), then the process is killed
// and the disk checked and mounted again. The SDK acknowledges an envelope only after the run it
// was processed in is synced to disk (each envelope's commit skips the fsync; one FULL commit ends
// the run: docs/sdk.md "Offline drain"), so nothing the relay deleted may be missing afterwards.
// Needs root and loop devices; no other method drops unsynced writes, so without them the test is
// not registered (member-sigkill.test.ts covers the process crash everywhere).
const CYCLES = scale(1, 10);
const TIMEOUT_MS = scale(300_000, 3_600_000);
const ext4 = canMountExt4();

let relay: RelayProcess;
let pool: ClientPool;
let disk: Ext4Disk | undefined;
beforeEach(async (ctx) => {
  relay = await RelayProcess.start({ env: RELAY_ENV });
  pool = new ClientPool();
  ctx.onTestFailed(() => console.error(`--- relay log ---\n${relay.log.slice(-20_000)}`));
});
afterEach(async () => {
  killWorkers();
  await pool.dispose();
  await relay.dispose();
  disk?.dispose();
  disk = undefined;
});

if (ext4) {
  describe('member device loses its disk while it receives alerts', () => {
    test(`${CYCLES} disk failures: every acknowledged alert is in the store exactly once afterwards`, async () => {
      const seed = Date.now();
      const random = seeded(seed);
      const adminClient = await pool.open(pool.newDataDir('admin'), CLIENT_OPTIONS);
      await adminClient.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
      const group = await adminClient.createGroup({ title: 'Eastside rapid response', displayName: 'admin' });
      const code = await group.createInvite({ expiresInSeconds: 3600, maxUses: 1, requireApproval: false });
      disk = ext4Disk();
      const dir = join(disk.mountPoint, 'member');
      mkdirSync(dir, { mode: 0o700 });
      const member = await pool.open(dir, CLIENT_OPTIONS);
      const joined = await member.join(code, { displayName: 'member' });
      await member.close(); // from now on the worker process is this member's device
      await group.sync();
      await adminClient.connect();

      const sent: { title: string; acked: boolean }[] = [];
      const hardFailures: string[] = [];
      let stop = false;
      const stream = async () => {
        for (let n = 1; !stop; n++) {
          const title = `alert|admin#${n}`;
          try {
            await group.sendAlert({ kind: 'raid', severity: 'critical', title, requestAck: false });
            sent.push({ title, acked: true });
          } catch (err) {
            sent.push({ title, acked: false });
            if (!isTransient(err)) hardFailures.push(`${title}: ${String(err)}`);
          }
          await sleep(between(random, 10, 80));
        }
      };
      const streaming = stream();
      const runs: Worker[] = [];
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        const w = new Worker(dir, joined.id);
        runs.push(w);
        await w.waitFor((ls) => ls.some((l) => l.t === 'ready'), 'ready');
        const k = between(random, 1, 6);
        await w.waitFor((ls) => ls.filter((l) => l.t === 'alert').length >= k, `${k} alerts`);
        await sleep(between(random, 0, 40));
        disk.fail(); // the disk is gone: the store's last fsync is all that survives
        await w.kill();
        disk.recover();
      }
      stop = true;
      await streaming;

      const last = new Worker(dir, joined.id);
      runs.push(last);
      await last.waitFor((ls) => ls.some((l) => l.t === 'ready'), 'ready');
      await group.sendAlert({ kind: 'raid', severity: 'critical', title: 'alert|after', requestAck: false });
      sent.push({ title: 'alert|after', acked: true });
      await last.waitFor((ls) => ls.some((l) => l.t === 'alert' && l.title === 'alert|after'), 'the alert sent after the failures');
      last.dump();
      await last.waitFor((ls) => ls.some((l) => l.t === 'dump'), 'the store dump');
      await last.exited;

      const dump = last.lines.find((l): l is Extract<Line, { t: 'dump' }> => l.t === 'dump')!;
      const all = runs.flatMap((r) => r.lines);
      const acked = sent.filter((s) => s.acked).map((s) => s.title);
      console.info(`member disk failure: seed ${seed}, ${CYCLES} cycles, ${sent.length} alerts sent, ${acked.length} acknowledged, ${dump.alerts.length} in the store`);
      expect(hardFailures).toEqual([]);
      expect(acked.filter((t) => !dump.alerts.includes(t)), 'acknowledged alerts missing from the store').toEqual([]);
      expect(dump.alerts.length, 'an alert stored twice').toBe(new Set(dump.alerts).size);
      expect(all.filter((l) => l.t === 'rejected'), 'rejected envelopes').toEqual([]);
      // A write failing once the disk is gone may surface as an error in the run that was killed; later runs must be clean.
      expect(last.lines.filter((l) => l.t === 'error' && !l.transient), 'errors after recovery').toEqual([]);
    }, TIMEOUT_MS);
  });
}
