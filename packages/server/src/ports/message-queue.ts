import type { MaybePromise } from './maybe-promise.js';
import type { DeviceKey } from './prekeys.js';

export interface NewEnvelope {
  guid: string;
  accountId: string;
  deviceId: number;
  receivedAt: number;
  expiresAt: number;
  /** The whole envelope content, or, with `sharedId`, only the recipient's prefix. */
  content: Uint8Array;
  sharedId?: number;
}

/** A group send committed before its per-device rows, with its shared part. */
export interface PendingFanout {
  sharedId: number;
  firstId: number;
  receivedAt: number;
  expiresAt: number;
  head: Uint8Array;
  shared: Uint8Array;
  guidSeed: Uint8Array;
}

/** A queued envelope as handed to its device; `id` orders the queue. `content` is complete (prefix ‖ shared). */
export interface QueuedEnvelope {
  id: number;
  guid: string;
  receivedAt: number;
  content: Uint8Array;
}

/**
 * Per-device envelope queues. Queue positions (`id`) grow across all devices and are never reused;
 * a group send stores its shared part once and reserves its positions before its rows exist
 * (`reserveQueueIds`, `insertPending`), so what a crash left pending is rebuilt at the same positions.
 */
export interface MessageQueue {
  /** Stores one envelope; returns its queue position. */
  insert(envelope: NewEnvelope): MaybePromise<number>;
  /**
   * Stores many envelopes (a group send's per-device rows). With `at`, envelope `i` takes queue
   * position `at[i]` (reserved with `reserveQueueIds`); with `skipExisting`, an envelope whose
   * position is taken already is skipped (rebuilding a group send after a crash). Returns the queue
   * positions in order. Call inside a transaction.
   */
  insertMany(envelopes: readonly NewEnvelope[], at?: readonly number[], options?: { skipExisting?: boolean }): MaybePromise<number[]>;
  /** How many envelopes each of these devices has queued, in order. Call inside the transaction that then inserts. */
  queueLengths(devices: readonly DeviceKey[]): MaybePromise<number[]>;
  /** A transaction rolled back: drop whatever the backend keeps in memory about queue lengths. */
  forgetCounts(): MaybePromise<void>;
  /**
   * Reserves `count` consecutive queue positions and returns the first: no envelope stored later gets
   * one of them, whether or not rows are ever written at them. Call inside the transaction that
   * records what they are for.
   */
  reserveQueueIds(count: number): MaybePromise<number>;
  /** Records a group send whose envelope rows are still to be written. */
  insertPending(p: { sharedId: number; firstId: number; receivedAt: number; head: Uint8Array; guidSeed: Uint8Array }): MaybePromise<void>;
  /** The send's envelope rows are written: forget it. */
  deletePending(sharedId: number): MaybePromise<void>;
  /** Group sends whose envelope rows were never written (a crash or a failed write), oldest first. */
  pendingFanouts(): MaybePromise<PendingFanout[]>;
  /** Stores the shared part of a group send; returns its id for the envelopes to reference. */
  insertShared(content: Uint8Array, expiresAt: number): MaybePromise<number>;
  /** The device's queue length. */
  count(d: DeviceKey): MaybePromise<number>;
  /** Deletes the `n` oldest envelopes of a device (and shared parts nothing references any more); returns how many went. */
  deleteOldest(d: DeviceKey, n: number): MaybePromise<number>;
  /** Unexpired envelopes after `afterId`, oldest first, with group sends reassembled (prefix ‖ shared). */
  fetchAfter(d: DeviceKey, afterId: number, limit: number, now: number): MaybePromise<QueuedEnvelope[]>;
  /** Highest queued id of a device (0 when the queue is empty). */
  lastId(d: DeviceKey): MaybePromise<number>;
  /**
   * Deletes acknowledged envelopes, each named by its device and queue position, then each shared
   * part the batch left unreferenced. Returns how many went (an envelope already gone is skipped).
   */
  deleteAcknowledged(acks: readonly (DeviceKey & { id: number })[]): MaybePromise<number>;
  /** Deletes expired envelopes, then every shared part no envelope references; returns the envelope count. */
  deleteExpired(now: number): MaybePromise<number>;
  /** Deletes a group send's shared part if no envelope row and no pending row uses it any more. */
  deleteSharedIfUnreferenced(id: number): MaybePromise<void>;
}
