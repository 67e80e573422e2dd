/**
 * What a port method returns: a value from a backend that answers in the same turn (SQLite through
 * better-sqlite3), a promise from one that does I/O (a network database). Ports are written for both
 * so a second backend needs no change to them.
 */
export type MaybePromise<T> = T | Promise<T>;

/**
 * A port as the services use it today: every method answers in the same turn. Correctness of the
 * delivery path rests on one event-loop turn per write (see docs/architecture.md, "Storage ports"),
 * so a service takes `Synchronous<Port>` until it is rewritten to await; a backend that returns
 * promises can serve the ports whose services were moved, one at a time. Grep for `Synchronous<`
 * to see what is left.
 */
export type Synchronous<P> = {
  [K in keyof P]: P[K] extends (...args: infer A) => infer R ? (...args: A) => Exclude<R, Promise<unknown>> : P[K];
};
