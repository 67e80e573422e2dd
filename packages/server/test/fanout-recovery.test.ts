import { groupDecrypt, ProtocolAddress, sealedSenderDecryptToUsmc } from '@signalapp/libsignal-client';
import SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import { describe, expect, test } from 'vitest';
import { createContext, createLogger } from '../src/index.js';
import type { AuthenticatedDevice } from '../src/services/accounts.js';
import { fanoutGuids } from '../src/services/fanout-guids.js';
import { MessagesService } from '../src/services/messages.js';
import { MessageNotifier, type QueuedMessage } from '../src/services/notifier.js';
import { RateLimiter } from '../src/services/rate-limit.js';
import { splitSentMessage } from '../src/services/sent-message.js';
import type { Transactor } from '../src/storage/db.js';
import { AccountsRepository } from '../src/storage/repositories/accounts.js';
import { MessagesRepository } from '../src/storage/repositories/messages.js';
import { sendScenario, type Party } from './group-send-helpers.js';
import { countRows, LogSink, ManualClock, testConfig, testRelay, type TestRelay } from './helpers.js';

const device = (p: Party): AuthenticatedDevice => ({ accountId: p.user.accountId, deviceId: p.user.deviceId });

/**
 * A messages service over the relay's own database whose relaxed commits (a group send's envelope
 * rows, acknowledgements) fail while `broken.relaxed` is set: the state a crash or a full disk leaves
 * between a group send's durable commit and its rows.
 */
function serviceWithFailingRows(relay: TestRelay) {
  const broken = { relaxed: true };
  const transaction: Transactor = (fn, options) => {
    if (options?.relaxed === true && broken.relaxed) throw new Error('disk I/O error (injected)');
    return relay.ctx.storage.transaction(fn, options);
  };
  const notifier = new MessageNotifier();
  const service = new MessagesService({
    accounts: new AccountsRepository(relay.ctx.storage.db),
    messages: new MessagesRepository(relay.ctx.storage.db),
    transaction,
    notifier,
    clock: relay.clock,
    logger: createLogger('error', new LogSink().stream),
    sendLimiter: new RateLimiter(relay.ctx.config.sendRateLimit, relay.clock),
    ttlMs: relay.ctx.config.queueTtlDays * 86_400_000,
    maxPerDevice: relay.ctx.config.queueMaxPerDevice,
  });
  return { service, notifier, broken };
}

describe('a group send whose envelope rows were not written', () => {
  test('is stored and pushed anyway; after a restart its rows appear with the queue positions and guids already pushed, and decrypt', async () => {
    const relay = await testRelay();
    const { sender, recipients, body, plaintext } = await sendScenario(relay);
    const { service, notifier } = serviceWithFailingRows(relay);
    const [online, ...offline] = recipients as [Party, ...Party[]];
    const pushed: QueuedMessage[] = [];
    notifier.subscribe(online.user.accountId, online.user.deviceId, (m) => m && pushed.push(m));

    expect(service.sendToMany(splitSentMessage(body))).toBe(3);
    // Durable: the shared part and the pending send; no envelope rows yet. The online member has its envelope.
    expect(countRows(relay.ctx, 'pending_fanouts')).toBe(1);
    expect(countRows(relay.ctx, 'shared_payloads')).toBe(1);
    expect(countRows(relay.ctx, 'messages')).toBe(0);
    expect(pushed).toHaveLength(1);

    // The relay process dies here; a new one opens the same data folder.
    relay.ctx.close();
    const logs = new LogSink();
    const ctx = createContext(testConfig({}, relay.ctx.config.dataDir), { clock: new ManualClock(relay.clock.now()), logger: createLogger('info', logs.stream), sweepIntervalMs: 0 });
    try {
      expect(countRows(ctx, 'pending_fanouts')).toBe(0);
      expect(countRows(ctx, 'messages')).toBe(3);
      expect(logs.lines.some((l) => l.includes('group sends recovered'))).toBe(true);

      const [again] = ctx.services.messages.fetch(device(online), 0, 10);
      expect(again?.id).toBe(pushed[0]!.id);
      expect(again?.envelope.guid).toBe(pushed[0]!.envelope.guid);
      expect(again?.envelope.content).toBe(pushed[0]!.envelope.content);

      const parsed = new SealedSenderMultiRecipientMessage(body);
      const byAci = parsed.recipientsByServiceIdString();
      const guids = new Set<string>();
      for (const r of [online, ...offline]) {
        const [m, ...more] = ctx.services.messages.fetch(device(r), 0, 10);
        expect(more).toEqual([]);
        guids.add(m!.envelope.guid);
        const bytes = new Uint8Array(Buffer.from(m!.envelope.content, 'base64'));
        expect(Buffer.from(bytes)).toEqual(Buffer.from(parsed.messageForRecipient(byAci[r.user.accountId]!)));
        const usmc = await sealedSenderDecryptToUsmc(bytes, r.identityStore);
        const opened = await groupDecrypt(ProtocolAddress.new(sender.user.accountId, 1), r.senderKeyStore, usmc.contents());
        expect(Buffer.from(opened)).toEqual(Buffer.from(plaintext));
      }
      expect(guids.size).toBe(3);

      // Acknowledged at the position the member was pushed: the row goes, and with the last one the shared part.
      for (const r of [online, ...offline]) {
        const [m] = ctx.services.messages.fetch(device(r), 0, 10);
        expect(ctx.services.messages.acknowledge(device(r), m!.id)).toBe(true);
      }
      expect(countRows(ctx, 'messages')).toBe(0);
      expect(countRows(ctx, 'shared_payloads')).toBe(0);
    } finally {
      ctx.close();
    }
  });

  test('without a restart, the next write writes them first; the next send queues after them, and offline devices are woken', async () => {
    const relay = await testRelay();
    const { recipients, body } = await sendScenario(relay);
    const { service, notifier, broken } = serviceWithFailingRows(relay);
    const [a] = recipients as [Party, ...Party[]];
    const wakes: (QueuedMessage | undefined)[] = [];
    notifier.subscribe(a.user.accountId, a.user.deviceId, (m) => wakes.push(m));

    service.sendToMany(splitSentMessage(body));
    expect(countRows(relay.ctx, 'messages')).toBe(0);
    const first = wakes[0]!;

    // While rows cannot be written, acknowledgements fail too and change nothing.
    service.acknowledgeSoon(device(a), first.id);
    service.flushAcknowledgements();
    expect(countRows(relay.ctx, 'pending_fanouts')).toBe(1);

    broken.relaxed = false;
    service.sendToMany(splitSentMessage(body)); // the same upload again: a second send
    expect(countRows(relay.ctx, 'pending_fanouts')).toBe(0);
    expect(countRows(relay.ctx, 'messages')).toBe(6);
    const queue = service.fetch(device(a), 0, 10);
    expect(queue.map((m) => m.id)).toEqual([first.id, wakes.at(-1)!.id]);
    expect(queue[0]!.envelope.guid).toBe(first.envelope.guid);
    // Pushed once, woken once when the rows were written (no envelope handed over: it reads its queue), pushed the second send.
    expect(wakes.map((m) => m === undefined)).toEqual([false, true, false]);
  });

  test('expires with its shared part, rows or no rows', async () => {
    const relay = await testRelay();
    const { body } = await sendScenario(relay);
    const { service } = serviceWithFailingRows(relay);
    service.sendToMany(splitSentMessage(body));
    relay.clock.advance(relay.ctx.config.queueTtlDays * 86_400_000 + 60_000);
    // The relay's own service (its sweep) sees the expired pending send and drops it with its payload.
    relay.ctx.storage.transaction(() => new MessagesRepository(relay.ctx.storage.db).deleteExpired(relay.clock.now()));
    expect(countRows(relay.ctx, 'pending_fanouts')).toBe(0);
    expect(countRows(relay.ctx, 'shared_payloads')).toBe(0);
  });
});

describe('fanoutGuids', () => {
  test('are version 4 UUIDs, distinct, unrelated to each other, the same for the same seed', () => {
    const seed = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const all = fanoutGuids(seed, 10_000);
    expect(new Set(all).size).toBe(all.length);
    for (const g of all) expect(g).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Nothing in common between neighbours: no shared prefix a seized relay could group envelopes by.
    const prefixes = new Set(all.map((g) => g.slice(0, 6)));
    expect(prefixes.size).toBeGreaterThan(9_000);
    expect(fanoutGuids(Buffer.from(seed), 8)).toEqual(all.slice(0, 8));
    expect(fanoutGuids(Buffer.alloc(16, 1), 8)[7]).not.toBe(all[7]);
    expect(() => fanoutGuids(Buffer.alloc(15), 1)).toThrow();
  });
});
