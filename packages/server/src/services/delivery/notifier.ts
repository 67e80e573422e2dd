import type { QueuedMessage } from './live-envelope.js';

export type { ContentPieces, QueuedMessage } from './live-envelope.js';

/**
 * Someone waiting for envelopes of one device (in practice: its live WebSocket connection). `stored`
 * is the envelope just committed, when the sender had it at hand; without it the listener reads the
 * queue. Returns true when it sent `stored` as it is (a group send then writes no row for it yet).
 */
export type MessageListener = (stored?: QueuedMessage) => boolean;

/**
 * In-process "new envelope for device X" signal. The messages service notifies after its insert
 * transaction commits, once per stored envelope and in queue order, handing over the envelope it
 * already holds in memory so a connection with room can push it without reading it back.
 */
export class MessageNotifier {
  /**
   * account id → device id → listeners. Two lookups rather than one `${account}.${device}` key: a
   * group send looks up every recipient device, and a key string built per envelope is garbage.
   */
  private readonly listeners = new Map<string, Map<number, Set<MessageListener>>>();
  private burstEnds: (() => void)[] | undefined;

  /**
   * Runs `fn`, which notifies many devices several envelopes each (a batch of group sends), as one
   * burst: a listener may hold its output back until the burst ends (`atBurstEnd`), so a member's
   * socket gets the batch in one write instead of one per envelope.
   */
  burst(fn: () => void): void {
    if (this.burstEnds !== undefined) return fn();
    const ends: (() => void)[] = (this.burstEnds = []);
    try {
      fn();
    } finally {
      this.burstEnds = undefined;
      for (const end of ends) end();
    }
  }

  /** In a burst: runs `end` when it is over and returns true. Outside one: returns false. */
  atBurstEnd(end: () => void): boolean {
    if (this.burstEnds === undefined) return false;
    this.burstEnds.push(end);
    return true;
  }

  subscribe(accountId: string, deviceId: number, listener: MessageListener): () => void {
    let devices = this.listeners.get(accountId);
    if (devices === undefined) this.listeners.set(accountId, (devices = new Map()));
    let set = devices.get(deviceId);
    if (set === undefined) devices.set(deviceId, (set = new Set()));
    set.add(listener);
    const ofAccount = devices;
    return () => {
      set.delete(listener);
      if (set.size > 0 || ofAccount.get(deviceId) !== set) return;
      ofAccount.delete(deviceId);
      if (ofAccount.size === 0 && this.listeners.get(accountId) === ofAccount) this.listeners.delete(accountId);
    };
  }

  /**
   * Who listens for `device`, if anyone: a group send looks each recipient device up once, builds
   * its envelope only if someone is there, and hands it over with `notifyListeners`.
   */
  listenersOf(accountId: string, deviceId: number): ReadonlySet<MessageListener> | undefined {
    return this.listeners.get(accountId)?.get(deviceId);
  }

  notify(accountId: string, deviceId: number, stored?: QueuedMessage): void {
    const set = this.listeners.get(accountId)?.get(deviceId);
    if (set !== undefined) notifyListeners(set, stored);
  }
}

/** Hands `stored` to every listener of a set `listenersOf` returned; true if one of them sent it as it is. */
export function notifyListeners(set: ReadonlySet<MessageListener>, stored?: QueuedMessage): boolean {
  let taken = false;
  // A copy only when several listen: one listener removing itself mid-loop is safe in a Set.
  for (const listener of set.size === 1 ? set : [...set]) if (listener(stored)) taken = true;
  return taken;
}
