import type { PendingFanout } from '../../ports/message-queue.js';
import type { DeviceQueues } from './device-queues.js';
import { fanoutOf, SharedBase64 } from './fanout.js';
import { LiveEnvelope, type Fanout } from './live-envelope.js';
import { notifyListeners, type MessageNotifier } from './notifier.js';
import { splitSentMessage } from './sent-message.js';

// Why this exists: a group send is durable (its pending row) before its envelope rows are, and an
// envelope pushed live to a socket gets a row only if it is not acknowledged. This file holds every
// group send in that in-between state and what each one still owes the queue: rows a failed write
// left (written before the next write), envelopes released (written with the turn's batch, before
// any queue read), and sends with nothing live left (their pending row goes with that batch).

/** How long a group send's envelope may stay live and unanswered before it gets a row anyway. */
export const LIVE_ENVELOPE_MAX_MS = 10_000;

/** Rows a group send still needs: for some of its envelopes (indexes), or all of them after a crash. */
export interface Unwritten {
  fanout: Fanout;
  /** Envelope indexes; undefined for all (a recovered send: rows written before the crash are skipped). */
  indexes: readonly number[] | undefined;
  /** Delete the pending row with them: nothing of the send is live any more. */
  finish: boolean;
}

/** What settled live during one event-loop turn, taken together by the end-of-turn flush. */
export interface SettledTurn {
  /** Live envelopes whose connection went away or answered an error, in the order they were released. */
  releases: LiveEnvelope[];
  /** Group sends whose last live envelope was settled. */
  settled: Fanout[];
}

export class WriteBehind {
  /** Group sends stored and pushed whose envelope rows could not be written yet (see `owe`). */
  private unwritten: Unwritten[] = [];
  /** Group sends with envelopes live on connections (see `LiveEnvelope`). */
  private readonly open = new Set<Fanout>();
  /** Live envelopes to turn into rows with the next batch (their connection went away, or answered an error). */
  private releases: LiveEnvelope[] = [];
  /** Group sends whose last live envelope was settled: their pending rows go with the next batch. */
  private settled: Fanout[] = [];

  constructor(
    private readonly deps: {
      queues: DeviceQueues;
      notifier: MessageNotifier;
      /** The end-of-turn flush that writes `takeTurn()` (ack-batch.ts): asked for on every release and settled send. */
      turn: { schedule(): void };
    },
  ) {}

  /**
   * Hands every online recipient device of a committed group send its envelope, in queue order. An
   * envelope a connection sent as it is becomes live (no row). Returns what needs rows now, or
   * undefined if nothing does: the envelopes no connection took, and the pending row if none did.
   */
  push(fanout: Fanout): Unwritten | undefined {
    const pieces = new SharedBase64(fanout.shared).piecesForAll(fanout.recipients.map((r) => r.prefix));
    const rows: number[] = [];
    let i = 0;
    for (const [ri, r] of fanout.recipients.entries()) {
      for (const d of r.devices) {
        const index = i++;
        const listeners = this.deps.notifier.listenersOf(r.accountId, d.deviceId);
        if (listeners === undefined) {
          rows.push(index);
          continue;
        }
        const live = new LiveEnvelope(fanout, index, pieces[ri]!);
        if (notifyListeners(listeners, live)) {
          fanout.live.push(live);
          fanout.outstanding++;
        } else {
          rows.push(index);
        }
      }
    }
    if (rows.length > 0 || fanout.outstanding === 0) return { fanout, indexes: rows, finish: fanout.outstanding === 0 };
    return undefined;
  }

  /** After a send's rows were written (or owed): if envelopes of it are live, it is watched for stragglers. */
  watch(fanout: Fanout): void {
    if (fanout.outstanding > 0) this.open.add(fanout);
  }

  /** Writes the rows and pending-row deletions in `u`. Inside a write transaction. */
  writeRows(u: Unwritten): void {
    this.deps.queues.writeGroupRows(u.fanout, u.indexes);
    if (u.finish) this.deps.queues.finishGroupSend(u.fanout);
  }

  /** Rows whose write failed: stored and delivered where online, they are written before the next write. */
  owe(rows: readonly Unwritten[]): void {
    this.unwritten.push(...rows);
  }

  get owesRows(): boolean {
    return this.unwritten.length > 0;
  }

  /**
   * Writes every owed row, first thing inside a write transaction (nothing may be stored past their
   * reserved queue positions first). Returns them for `owedWritten` once the transaction committed.
   */
  writeOwed(): readonly Unwritten[] {
    const owed = this.unwritten;
    for (const u of owed) this.writeRows(u);
    return owed;
  }

  /** The transaction of `writeOwed` committed: they are no longer owed, and their devices read their queues again. */
  owedWritten(owed: readonly Unwritten[]): void {
    if (owed.length === 0) return;
    this.unwritten = [];
    // Their devices were pushed what was online; the rest read their queues again.
    for (const { fanout } of owed) for (let i = 0; i < fanout.count; i++) this.deps.notifier.notify(fanout.accountIds[i] ?? '', fanout.deviceIds[i] ?? 0);
  }

  /** Group sends a crash left pending: every row of each is owed (rows written before the crash are skipped). */
  recover(pending: readonly PendingFanout[], now: number): void {
    for (const p of pending) {
      const { recipients } = splitSentMessage(new Uint8Array(Buffer.concat([p.head, p.shared])));
      this.unwritten.push({ fanout: fanoutOf({ ...p, pushedAt: now, recipients }), indexes: undefined, finish: true });
    }
  }

  /** A live envelope was acknowledged: nothing to delete, only its send to settle. False if it is not live. */
  acknowledgeLive(live: LiveEnvelope): boolean {
    if (live.state !== 'live') return false;
    live.state = 'acknowledged';
    this.settle(live.fanout);
    return true;
  }

  /** A live envelope goes back to the queue: its row is written with the turn's batch. */
  release(live: LiveEnvelope): void {
    if (live.state !== 'live') return;
    live.state = 'released';
    this.releases.push(live);
    this.settle(live.fanout);
    this.deps.turn.schedule();
  }

  /** Releases every envelope of sends pushed at or before `pushedBefore` that is still live. */
  releaseStragglers(pushedBefore: number): void {
    for (const f of this.open) {
      if (f.pushedAt > pushedBefore) continue;
      for (const l of f.live) this.release(l);
    }
  }

  /** Released envelopes wait for their rows: a queue read must flush first to see them. */
  get hasReleases(): boolean {
    return this.releases.length > 0;
  }

  /** What this turn released and settled, handed to the flush (and forgotten here until `putBack`). */
  takeTurn(): SettledTurn {
    const turn = { releases: this.releases, settled: this.settled };
    this.releases = [];
    this.settled = [];
    return turn;
  }

  /** Rows for a turn's released envelopes, at their reserved positions. Inside a write transaction. */
  writeReleased(turn: SettledTurn): void {
    const released = new Map<Fanout, number[]>();
    for (const l of turn.releases) {
      let indexes = released.get(l.fanout);
      if (indexes === undefined) released.set(l.fanout, (indexes = []));
      indexes.push(l.index);
    }
    for (const [fanout, indexes] of released) this.writeRows({ fanout, indexes, finish: false });
  }

  /** The pending rows of a turn's settled sends go. Inside a write transaction. */
  finishSettled(turn: SettledTurn): void {
    for (const fanout of turn.settled) this.writeRows({ fanout, indexes: [], finish: true });
  }

  /** The turn's write failed: its releases and settled sends are retried with the next batch. */
  putBack(turn: SettledTurn): void {
    this.releases.unshift(...turn.releases);
    this.settled.unshift(...turn.settled);
  }

  /** The turn's rows are committed: a device that reconnected meanwhile reads its queue again. */
  wakeReleased(turn: SettledTurn): void {
    for (const l of turn.releases) {
      const { accountIds, deviceIds } = l.fanout;
      this.deps.notifier.notify(accountIds[l.index] ?? '', deviceIds[l.index] ?? 0);
    }
  }

  private settle(fanout: Fanout): void {
    fanout.outstanding -= 1;
    if (fanout.outstanding > 0) return;
    this.open.delete(fanout);
    this.settled.push(fanout);
    this.deps.turn.schedule();
  }
}
