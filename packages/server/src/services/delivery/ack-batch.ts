import type { DeviceKey } from '../../ports/prekeys.js';

// Why this exists: 1,000 members acknowledging an alert within a few milliseconds would cost 1,000
// commits (fsyncs) one by one. Acknowledgements wait here for the end of the event-loop turn and go
// in one transaction; the same end-of-turn flush carries write-behind's released envelopes and
// settled sends (write-behind.ts asks for it through `schedule`), so one turn costs one commit.

/** An acknowledged envelope: its device and queue position. */
export type Ack = DeviceKey & { id: number };

/** Acknowledgements waiting for the end of the current event-loop turn, and the one flush that takes them. */
export class AckBatch {
  private pending: Ack[] = [];
  private flush: NodeJS.Immediate | undefined;

  /** `flushTurn` runs once at the end of a turn in which something was added or scheduled. */
  constructor(private readonly flushTurn: () => void) {}

  add(ack: Ack): void {
    this.pending.push(ack);
    this.schedule();
  }

  /** Asks for the end-of-turn flush (once per turn, however often it is asked). */
  schedule(): void {
    this.flush ??= setImmediate(() => this.flushTurn());
  }

  /** The acknowledgements so far, forgotten here; the scheduled flush is cancelled (the caller is it, or runs it early). */
  take(): Ack[] {
    if (this.flush !== undefined) clearImmediate(this.flush);
    this.flush = undefined;
    const acks = this.pending;
    this.pending = [];
    return acks;
  }
}
