/**
 * Someone waiting for envelopes of one device (in practice: its live WebSocket connection). `stored`
 * is the envelope just committed, when the sender had it at hand; without it the listener reads the
 * queue. Returns true when it sent `stored` as it is (a group send then writes no row for it yet).
 */
export type Listener<M> = (stored?: M) => boolean;

/**
 * "New envelope for device X", from the services that store envelopes to the connections that hold
 * devices. Synchronous by design: a group send hands each online device its envelope in the same
 * task that committed it. Generic over what it carries, so the port knows nothing of delivery's types.
 */
export interface Notifier<M> {
  subscribe(accountId: string, deviceId: number, listener: Listener<M>): () => void;
  /** Who listens for the device here, if anyone (the group fan-out builds an envelope only then). */
  listenersOf(accountId: string, deviceId: number): ReadonlySet<Listener<M>> | undefined;
  notify(accountId: string, deviceId: number, stored?: M): void;
  /** Runs `fn` as one burst: listeners may hold output back until it ends (`atBurstEnd`). */
  burst(fn: () => void): void;
  /** In a burst: runs `end` when it is over and returns true. Outside one: returns false. */
  atBurstEnd(end: () => void): boolean;
}
