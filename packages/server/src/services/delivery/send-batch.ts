import type { ProtocolError } from '@aviso/protocol';
import type { GroupSendMessage } from './sent-message.js';

// Why this exists: a group send's durable commit is an fsync, and alerts come in bursts. Sends that
// arrive in the same event-loop turn wait here and are committed together (one fsync), each in a
// savepoint of its own so a refused one takes nothing else with it (see MessagesService.sendToManySoon).

interface QueuedSend {
  message: GroupSendMessage;
  resolve: (stored: number) => void;
  reject: (err: unknown) => void;
}

/** Group sends waiting for the end of this event-loop turn, each with the promise its caller awaits. */
export class GroupSendBatch {
  private queue: QueuedSend[] = [];
  private flush: NodeJS.Immediate | undefined;

  /**
   * `sendMany` stores a batch and returns, per send and in order, the number of envelopes stored or
   * the error that refused it; if it throws, every send of the batch is rejected with that.
   */
  constructor(private readonly sendMany: (messages: readonly GroupSendMessage[]) => (number | ProtocolError)[]) {}

  /** Resolves with the number of envelopes stored once the batch this send joined is committed. */
  add(message: GroupSendMessage): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      this.flush ??= setImmediate(() => this.run());
    });
  }

  private run(): void {
    this.flush = undefined;
    const batch = this.queue;
    this.queue = [];
    let outcomes: (number | ProtocolError)[];
    try {
      outcomes = this.sendMany(batch.map((b) => b.message));
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    outcomes.forEach((o, i) => (o instanceof Error ? batch[i]?.reject(o) : batch[i]?.resolve(o)));
  }
}
