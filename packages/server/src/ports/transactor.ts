/**
 * Runs `fn` in one write transaction; any throw rolls everything back, and a nested call is a
 * savepoint rolled back alone. A `relaxed` transaction may commit without waiting for the disk: only
 * for writes whose loss in a power cut is harmless, because they can be redone from what a durable
 * commit already holds (acknowledgements, a group send's per-device rows).
 *
 * Synchronous: `fn` runs to completion inside the transaction, with no await in between, which is
 * what keeps a group send's commit, push and rows in one event-loop task. A backend that cannot give
 * that (a network database) needs the services that call it moved to an async transactor first.
 */
export type Transactor = <T>(fn: () => T, options?: { relaxed?: boolean }) => T;
