import type { MaybePromise } from './maybe-promise.js';

/**
 * Which relay node holds a device's connection. One process today, so the answer is this node or
 * none (the notifier's listeners); a relay of several nodes answers from shared state and forwards
 * a push to the node named, instead of notifying in-process.
 */
export interface Presence {
  /** The node that holds a connection of the device, if any. */
  nodeOf(accountId: string, deviceId: number): MaybePromise<string | undefined>;
}
