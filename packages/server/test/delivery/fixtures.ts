import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createLogger } from '../../src/index.js';
import type { DeviceKey } from '../../src/ports/prekeys.js';
import type { StorageBackend } from '../../src/ports/storage.js';
import type { Transactor } from '../../src/ports/transactor.js';
import { MessagesService } from '../../src/services/delivery/delivery.js';
import { MessageNotifier } from '../../src/services/delivery/notifier.js';
import type { GroupSendMessage } from '../../src/services/delivery/sent-message.js';
import { RateLimiter } from '../../src/services/shared/rate-limit.js';
import { openSqliteBackend } from '../../src/storage/sqlite/backend.js';
import { LogSink, ManualClock } from '../helpers.js';
import { registerDevice } from '../storage/fixtures.js';

// The delivery parts' unit tests run on the relay's real SQLite backend, opened in a temp folder
// exactly as the relay opens it; only the group-send upload is made up (its bytes are opaque here).

/** The registration id `registerDevice` gives every device (storage/fixtures.ts `deviceRecord`). */
export const REGISTRATION_ID = 4242;

export const TTL_MS = 30 * 86_400_000;

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0).reverse()) close();
});

/** A fresh relay database (created and migrated), closed and removed after the test. */
export function sqliteBackend(): StorageBackend {
  const dir = mkdtempSync(join(tmpdir(), 'aviso-delivery-test-'));
  closers.push(() => rmSync(dir, { recursive: true, force: true }));
  const backend = openSqliteBackend(join(dir, 'relay.sqlite'));
  closers.push(() => backend.close());
  return backend;
}

/** `n` registered accounts with one device each. */
export function devices(backend: StorageBackend, n: number): DeviceKey[] {
  return Array.from({ length: n }, () => registerDevice(backend));
}

/**
 * A group send to these devices as the relay holds it once parsed: each recipient's prefix is 33
 * bytes of its index + 1, the shared part `shared`. Envelope `i` is then prefix(i) ‖ shared.
 */
export function groupSend(to: readonly DeviceKey[], shared = new Uint8Array(40).fill(9)): GroupSendMessage {
  return {
    recipients: to.map((d, i) => ({ accountId: d.accountId, devices: [{ deviceId: d.deviceId, registrationId: REGISTRATION_ID }], prefix: new Uint8Array(33).fill(i + 1) })),
    shared,
    head: new Uint8Array([0x22, 1, 2, 3]),
  };
}

/** base64(prefix(i) ‖ shared) for `groupSend`'s envelope `i`. */
export function groupContent(message: GroupSendMessage, i: number): string {
  return Buffer.concat([message.recipients[i]!.prefix, message.shared]).toString('base64');
}

/**
 * The backend's own transactor, counting top-level commits, and failing relaxed ones while
 * `failRelaxed` is set (a full disk between a group send's durable commit and its rows).
 */
export function instrumented(inner: Transactor) {
  const state = { failRelaxed: false, durable: 0, relaxed: 0 };
  let depth = 0;
  const transaction: Transactor = (fn, options) => {
    if (depth === 0 && options?.relaxed === true && state.failRelaxed) throw new Error('disk I/O error (injected)');
    const top = depth === 0;
    depth++;
    try {
      const result = inner(fn, options);
      if (top) state[options?.relaxed === true ? 'relaxed' : 'durable']++;
      return result;
    } finally {
      depth--;
    }
  };
  return { transaction, state };
}

/** The messages service over `backend`, with its own notifier and a manual clock. */
export function messagesService(backend: StorageBackend, options: { transaction?: Transactor; maxPerDevice?: number } = {}) {
  const clock = new ManualClock();
  const notifier = new MessageNotifier();
  const logs = new LogSink();
  const service = new MessagesService({
    accounts: backend.accounts,
    messages: backend.messages,
    transaction: options.transaction ?? backend.transaction,
    notifier,
    clock,
    logger: createLogger('info', logs.stream),
    sendLimiter: new RateLimiter({ capacity: 1000, refillSeconds: 1 }, clock),
    ttlMs: TTL_MS,
    maxPerDevice: options.maxPerDevice ?? 100,
  });
  return { service, notifier, clock, logs };
}

/** Resolves after the current event-loop turn's immediates (the batches' flushes) have run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Envelope rows in the database, expired or not (SQLite answers in the same turn). */
export function envelopeRows(backend: StorageBackend): number {
  const counts = backend.counts(0);
  if (counts instanceof Promise) throw new Error('expected a backend that answers in the same turn');
  return counts.queuedEnvelopes;
}
