import { describe, expect, test } from 'vitest';
import type { DeviceKey } from '../../src/ports/prekeys.js';
import type { StorageBackend } from '../../src/ports/storage.js';
import { AckBatch } from '../../src/services/delivery/ack-batch.js';
import { DeviceQueues } from '../../src/services/delivery/device-queues.js';
import type { LiveEnvelope } from '../../src/services/delivery/live-envelope.js';
import { MessageNotifier, type QueuedMessage } from '../../src/services/delivery/notifier.js';
import { WriteBehind } from '../../src/services/delivery/write-behind.js';
import { devices, envelopeRows, groupContent, groupSend, sqliteBackend, TTL_MS } from './fixtures.js';

const NOW = Date.UTC(2026, 0, 1, 12, 30, 45, 123);
const MINUTE = Date.UTC(2026, 0, 1, 12, 30);

/** Write-behind over real queues; `flushes` counts the end-of-turn flushes it asked the ack batch for. */
function setUp(backend: StorageBackend) {
  const queues = new DeviceQueues({ accounts: backend.accounts, messages: backend.messages, ttlMs: TTL_MS, maxPerDevice: 100 });
  const notifier = new MessageNotifier();
  const flushes = { n: 0 };
  const turn = new AckBatch(() => flushes.n++);
  const writeBehind = new WriteBehind({ queues, notifier, turn });
  const commit = (to: readonly DeviceKey[], now = NOW) => backend.transaction(() => queues.commitGroupSend(groupSend(to), { now, receivedAt: MINUTE, expiresAt: MINUTE + TTL_MS }));
  /** `d` is online: its listener takes what it is handed (`take`), and records it. */
  const online = (d: DeviceKey, take = true) => {
    const got: (QueuedMessage | undefined)[] = [];
    notifier.subscribe(d.accountId, d.deviceId, (m) => {
      got.push(m);
      return take && m !== undefined;
    });
    return got;
  };
  return { queues, notifier, turn, flushes, writeBehind, commit, online };
}

const afterTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('WriteBehind.push', () => {
  test('an envelope a connection takes is live and gets no row; offline devices and connections that decline get rows', () => {
    const b = sqliteBackend();
    const { writeBehind, commit, online } = setUp(b);
    const [taker, decliner, offline] = devices(b, 3) as [DeviceKey, DeviceKey, DeviceKey];
    const took = online(taker);
    const declined = online(decliner, false);
    const fanout = commit([taker, decliner, offline]);
    const rows = writeBehind.push(fanout);
    expect(rows).toEqual({ fanout, indexes: [1, 2], finish: false });
    expect(fanout.outstanding).toBe(1);
    expect(took).toHaveLength(1);
    const live = took[0]!.live!;
    expect([live.id, live.state, live.envelope.content]).toEqual([fanout.firstId, 'live', groupContent(groupSend([taker, decliner, offline]), 0)]);
    expect(declined).toHaveLength(1); // offered, not taken
  });

  test('nobody online: every envelope needs a row and the pending row goes with them; everybody taking it: nothing to write', () => {
    const b = sqliteBackend();
    const { writeBehind, commit, online } = setUp(b);
    const members = devices(b, 2);
    const nobody = commit(members);
    expect(writeBehind.push(nobody)).toEqual({ fanout: nobody, indexes: [0, 1], finish: true });
    for (const m of members) online(m);
    expect(writeBehind.push(commit(members))).toBeUndefined();
  });
});

describe('WriteBehind: live envelopes settling', () => {
  test('the last answer settles the send: its pending row goes with the turn, and the flush is asked for', async () => {
    const b = sqliteBackend();
    const { writeBehind, queues, commit, online, flushes } = setUp(b);
    const members = devices(b, 2);
    const got = members.map((m) => online(m));
    const fanout = commit(members);
    writeBehind.push(fanout);
    writeBehind.watch(fanout);
    const [l0, l1] = got.map((g) => g[0]!.live!) as [LiveEnvelope, LiveEnvelope];
    expect(writeBehind.acknowledgeLive(l0)).toBe(true);
    expect(writeBehind.acknowledgeLive(l0)).toBe(false); // not live any more: an answer to a row
    expect(writeBehind.takeTurn()).toEqual({ releases: [], settled: [] });
    expect(writeBehind.acknowledgeLive(l1)).toBe(true);
    const turn = writeBehind.takeTurn();
    expect(turn.settled).toEqual([fanout]);
    b.transaction(() => writeBehind.finishSettled(turn));
    expect(queues.pendingGroupSends()).toEqual([]);
    expect(envelopeRows(b)).toBe(0);
    await afterTurn();
    expect(flushes.n).toBe(1);
  });

  test('a released envelope gets its row at its queue position with its guid, and its device is woken once the rows are in', () => {
    const b = sqliteBackend();
    const { writeBehind, queues, commit, online } = setUp(b);
    const [a, c] = devices(b, 2) as [DeviceKey, DeviceKey];
    const gotA = online(a);
    online(c);
    const fanout = commit([a, c]);
    writeBehind.push(fanout);
    const live = gotA[0]!.live!;
    writeBehind.release(live);
    writeBehind.release(live); // twice (error answer, then the socket closes): one row
    expect(live.state).toBe('released');
    expect(writeBehind.hasReleases).toBe(true);
    const turn = writeBehind.takeTurn();
    expect(writeBehind.hasReleases).toBe(false);
    b.transaction(() => writeBehind.writeReleased(turn));
    const [row] = queues.fetch(a, 0, 10, NOW);
    expect([row?.id, row?.envelope.guid, row?.envelope.content]).toEqual([live.id, live.guid, live.content]);
    expect(queues.fetch(c, 0, 10, NOW)).toEqual([]); // c's envelope is still live
    writeBehind.wakeReleased(turn);
    expect(gotA.slice(1)).toEqual([undefined]); // woken with nothing handed over: it reads its queue
  });

  test('a failed turn is put back ahead of what was released since, and written with the next one', () => {
    const b = sqliteBackend();
    const { writeBehind, queues, commit, online } = setUp(b);
    const [a, c] = devices(b, 2) as [DeviceKey, DeviceKey];
    const gotA = online(a);
    const gotC = online(c);
    const first = commit([a, c]);
    writeBehind.push(first);
    writeBehind.release(gotA[0]!.live!);
    const failed = writeBehind.takeTurn();
    writeBehind.release(gotC[0]!.live!);
    writeBehind.putBack(failed);
    const retry = writeBehind.takeTurn();
    expect(retry.releases.map((l) => l.index)).toEqual([0, 1]);
    expect(retry.settled).toEqual([first]);
    b.transaction(() => {
      writeBehind.writeReleased(retry);
      writeBehind.finishSettled(retry);
    });
    expect(queues.fetch(a, 0, 10, NOW).map((m) => m.id)).toEqual([first.firstId]);
    expect(queues.fetch(c, 0, 10, NOW).map((m) => m.id)).toEqual([first.firstId + 1]);
    expect(queues.pendingGroupSends()).toEqual([]);
  });

  test('stragglers: only sends pushed at or before the cut-off are released, and only their envelopes still live', () => {
    const b = sqliteBackend();
    const { writeBehind, commit, online } = setUp(b);
    const [a, c] = devices(b, 2) as [DeviceKey, DeviceKey];
    const gotA = online(a);
    const gotC = online(c);
    const old = commit([a, c], NOW);
    writeBehind.push(old);
    writeBehind.watch(old);
    const recent = commit([a, c], NOW + 1);
    writeBehind.push(recent);
    writeBehind.watch(recent);
    writeBehind.acknowledgeLive(gotA[0]!.live!);
    writeBehind.releaseStragglers(NOW);
    expect([gotA[0]!.live!.state, gotC[0]!.live!.state]).toEqual(['acknowledged', 'released']);
    expect([gotA[1]!.live!.state, gotC[1]!.live!.state]).toEqual(['live', 'live']);
    expect(writeBehind.takeTurn()).toEqual({ releases: [gotC[0]!.live!], settled: [old] });
    // Settled sends are no longer watched: a later cut-off releases only the recent one's envelopes.
    writeBehind.releaseStragglers(NOW + 1);
    expect(writeBehind.takeTurn().releases).toEqual([gotA[1]!.live!, gotC[1]!.live!]);
  });
});

describe('WriteBehind: rows owed after a failed write', () => {
  test('are written by the next writeOwed, forgotten only once that commits, and their devices are woken', () => {
    const b = sqliteBackend();
    const { writeBehind, queues, commit, online } = setUp(b);
    const [a, c] = devices(b, 2) as [DeviceKey, DeviceKey];
    const wakes = online(a, false);
    const fanout = commit([a, c]);
    const rows = writeBehind.push(fanout)!;
    writeBehind.owe([rows]);
    expect(writeBehind.owesRows).toBe(true);
    // A write that rolls back keeps them owed.
    expect(() =>
      b.transaction(() => {
        writeBehind.writeOwed();
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    expect(writeBehind.owesRows).toBe(true);
    expect(queues.fetch(a, 0, 10, NOW)).toEqual([]);
    const owed = b.transaction(() => writeBehind.writeOwed());
    writeBehind.owedWritten(owed);
    expect(writeBehind.owesRows).toBe(false);
    expect(queues.fetch(a, 0, 10, NOW).map((m) => m.id)).toEqual([fanout.firstId]);
    expect(queues.fetch(c, 0, 10, NOW).map((m) => m.id)).toEqual([fanout.firstId + 1]);
    expect(queues.pendingGroupSends()).toEqual([]);
    expect(wakes).toEqual([expect.objectContaining({ id: fanout.firstId }), undefined]); // offered, then woken
  });
});
