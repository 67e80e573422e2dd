import { groupDecrypt, ProtocolAddress, sealedSenderDecryptToUsmc } from '@signalapp/libsignal-client';
import SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import { decodeServerFrame, GROUP_SEND, ROUTES, WS_SUBPROTOCOL, type ProtocolError, type ServerFrame } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { createContext, createLogger, startServer } from '../src/index.js';
import type { AuthenticatedDevice } from '../src/services/accounts/accounts.js';
import { fanoutGuids } from '../src/services/delivery/guids.js';
import { LIVE_ENVELOPE_MAX_MS, MessagesService } from '../src/services/delivery/delivery.js';
import { MessageNotifier, type QueuedMessage } from '../src/services/delivery/notifier.js';
import { RateLimiter } from '../src/services/shared/rate-limit.js';
import { splitSentMessage } from '../src/services/delivery/sent-message.js';
import type { Transactor } from '../src/storage/sqlite/db.js';
import { AccountsRepository } from '../src/storage/sqlite/accounts.js';
import { MessagesRepository } from '../src/storage/sqlite/messages.js';
import { sendScenario, tokenHeader, type Party } from './group-send-helpers.js';
import { countRows, LogSink, ManualClock, testConfig, testRelay, type TestRelay } from './helpers.js';

const device = (p: Party): AuthenticatedDevice => ({ accountId: p.user.accountId, deviceId: p.user.deviceId });

/**
 * A messages service over the relay's own database whose relaxed commits (a group send's envelope
 * rows, acknowledgements) fail while `broken.relaxed` is set: the state a crash or a full disk leaves
 * between a group send's durable commit and its rows.
 */
function serviceWithFailingRows(relay: TestRelay) {
  const broken = { relaxed: true };
  const durableCommits = { n: 0 };
  let depth = 0;
  const transaction: Transactor = (fn, options) => {
    if (options?.relaxed === true && broken.relaxed) throw new Error('disk I/O error (injected)');
    if (depth === 0 && options?.relaxed !== true) durableCommits.n++;
    depth++;
    try {
      return relay.ctx.storage.transaction(fn, options);
    } finally {
      depth--;
    }
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
  return { service, notifier, broken, durableCommits };
}

describe('a group send whose envelope rows were not written', () => {
  test('is stored and pushed anyway; after a restart its rows appear with the queue positions and guids already pushed, and decrypt', async () => {
    const relay = await testRelay();
    const { sender, recipients, body, plaintext } = await sendScenario(relay);
    const { service, notifier } = serviceWithFailingRows(relay);
    const [online, ...offline] = recipients as [Party, ...Party[]];
    const pushed: QueuedMessage[] = [];
    // Sent as it is (a live envelope): it gets no row unless released.
    notifier.subscribe(online.user.accountId, online.user.deviceId, (m) => {
      if (m) pushed.push(m);
      return true;
    });

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
    // Not sent as it is (say the in-flight window is full): the envelope needs its row.
    notifier.subscribe(a.user.accountId, a.user.deviceId, (m) => {
      wakes.push(m);
      return false;
    });

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

describe('group sends arriving together', () => {
  test('share one durable commit; a refused one gets its own error and takes nothing else with it', async () => {
    const relay = await testRelay();
    const { body } = await sendScenario(relay);
    const { service, broken, durableCommits } = serviceWithFailingRows(relay);
    broken.relaxed = false;
    const good = splitSentMessage(body);
    const stale = splitSentMessage(body);
    stale.recipients[1]!.devices[0]!.registrationId += 1;
    const outcomes = await Promise.allSettled([service.sendToManySoon(good), service.sendToManySoon(stale), service.sendToManySoon(splitSentMessage(body))]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(outcomes[1]!.status === 'rejected' && (outcomes[1].reason as ProtocolError).code).toBe('STALE_DEVICES');
    expect(durableCommits.n).toBe(1);
    // Two sends of three envelopes each, nobody online: six rows, two shared parts, nothing pending.
    expect(countRows(relay.ctx, 'messages')).toBe(6);
    expect(countRows(relay.ctx, 'shared_payloads')).toBe(2);
    expect(countRows(relay.ctx, 'pending_fanouts')).toBe(0);
  });
});

describe('a group send to members online', () => {
  /** Every recipient "online": a listener that sends what it is handed, as a connection with room does. */
  async function online(relay: TestRelay) {
    const scenario = await sendScenario(relay);
    const sent = new Map<string, QueuedMessage>();
    for (const r of scenario.recipients) {
      relay.ctx.services.notifier.subscribe(r.user.accountId, r.user.deviceId, (m) => {
        if (m) sent.set(r.user.accountId, m);
        return m !== undefined;
      });
    }
    /** Answers 2xx to what `p` was sent, as its connection does. */
    const ack = (p: Party) => {
      const m = sent.get(p.user.accountId)!;
      relay.ctx.services.messages.acknowledgeSoon(device(p), m.id, m.live);
    };
    return { ...scenario, sent, ack };
  }
  const flush = (relay: TestRelay) => relay.ctx.services.messages.flushAcknowledgements();

  test('costs no envelope row: acknowledged live, only the pending row was written, and it goes with the last answer', async () => {
    const relay = await testRelay();
    const { recipients, body, sent, ack } = await online(relay);
    const messages = relay.ctx.services.messages;
    expect(messages.sendToMany(splitSentMessage(body))).toBe(3);
    expect(sent.size).toBe(3);
    expect(countRows(relay.ctx, 'messages')).toBe(0);
    expect(countRows(relay.ctx, 'pending_fanouts')).toBe(1);

    const [a, b, c] = recipients as [Party, Party, Party];
    ack(a);
    ack(b);
    flush(relay);
    expect(countRows(relay.ctx, 'pending_fanouts')).toBe(1); // c has not answered
    ack(c);
    flush(relay);
    for (const table of ['messages', 'pending_fanouts', 'shared_payloads']) expect(countRows(relay.ctx, table)).toBe(0);
  });

  test('a live envelope released (connection gone, error answer) gets its row at its queue position, with its guid, and is fetched again', async () => {
    const relay = await testRelay();
    const { recipients, body, sent, ack } = await online(relay);
    const messages = relay.ctx.services.messages;
    messages.sendToMany(splitSentMessage(body));
    const [a, b, c] = recipients as [Party, Party, Party];
    const pushed = sent.get(a.user.accountId)!;
    messages.release(pushed.live!);
    // Read before the batch ran (a reconnect right after the old socket closed): the row is there.
    const [again] = messages.fetch(device(a), 0, 10);
    expect(again?.id).toBe(pushed.id);
    expect(again?.envelope.guid).toBe(pushed.envelope.guid);
    expect(again?.envelope.content).toBe(pushed.envelope.content);
    // An answer to the released live envelope now deletes its row; the others settle live.
    for (const p of [a, b, c]) ack(p);
    flush(relay);
    for (const table of ['messages', 'pending_fanouts', 'shared_payloads']) expect(countRows(relay.ctx, table)).toBe(0);
  });

  test('live envelopes unanswered for LIVE_ENVELOPE_MAX_MS get rows, and the pending row (the recipient list) goes', async () => {
    const relay = await testRelay();
    const { recipients, body, ack } = await online(relay);
    const messages = relay.ctx.services.messages;
    messages.sendToMany(splitSentMessage(body));
    const [a] = recipients as [Party, ...Party[]];
    ack(a);
    relay.clock.advance(LIVE_ENVELOPE_MAX_MS - 1);
    messages.releaseStragglers();
    flush(relay);
    expect(countRows(relay.ctx, 'pending_fanouts')).toBe(1);
    relay.clock.advance(1);
    messages.releaseStragglers();
    flush(relay);
    expect(countRows(relay.ctx, 'pending_fanouts')).toBe(0);
    expect(countRows(relay.ctx, 'messages')).toBe(2);
    expect(messages.fetch(device(a), 0, 10)).toEqual([]);
  });

  test('over a real WebSocket: a socket closed before answering gets the envelope again on its next connection, and nothing is left after it answers', async () => {
    const clock = new ManualClock();
    const handle = await startServer(testConfig(), { clock, logger: createLogger('error', new LogSink().stream), sweepIntervalMs: 0 });
    try {
      const relay: TestRelay = { ctx: handle.context, app: handle.app, clock, logs: new LogSink() };
      const { recipients, body, token } = await sendScenario(relay);
      const a = recipients[0]!;
      const first = await openMember(handle.url, a);
      const res = await fetch(`${handle.url}${ROUTES.multiRecipient}?ts=${clock.now()}`, {
        method: 'PUT',
        headers: { 'content-type': GROUP_SEND.contentType, ...tokenHeader(token) },
        body: Buffer.from(body),
      });
      expect(res.status).toBe(200);
      const delivered = await first.deliver();
      // a's envelope is live (no row); the two others are offline and have rows.
      expect(countRows(relay.ctx, 'messages')).toBe(2);
      expect(countRows(relay.ctx, 'pending_fanouts')).toBe(1);
      await first.close(); // never answered

      const second = await openMember(handle.url, a);
      const again = await second.deliver();
      expect(again.envelope.guid).toBe(delivered.envelope.guid);
      expect(again.envelope.content).toBe(delivered.envelope.content);
      expect(countRows(relay.ctx, 'pending_fanouts')).toBe(0); // released into a row: nothing live is left
      await second.answer(again.id);
      expect(countRows(relay.ctx, 'messages')).toBe(2);
      await second.close();
    } finally {
      await handle.close();
    }
  });
});

describe('a batch of group sends to a member online', () => {
  test('reaches its socket whole and in order when the batch is written as one burst', async () => {
    const clock = new ManualClock();
    const handle = await startServer(testConfig(), { clock, logger: createLogger('error', new LogSink().stream), sweepIntervalMs: 0 });
    try {
      const relay: TestRelay = { ctx: handle.context, app: handle.app, clock, logs: new LogSink() };
      const { recipients, body } = await sendScenario(relay);
      const a = recipients[0]!;
      const member = await openMember(handle.url, a);
      const messages = relay.ctx.services.messages;
      // Same event-loop turn: one batch, pushed as one burst.
      const sends = [messages.sendToManySoon(splitSentMessage(body)), messages.sendToManySoon(splitSentMessage(body)), messages.sendToManySoon(splitSentMessage(body))];
      expect(await Promise.all(sends)).toEqual([3, 3, 3]);
      const got = [await member.deliver(), await member.deliver(), await member.deliver()];
      expect(got[0]!.id).toBeLessThan(got[1]!.id);
      expect(got[1]!.id).toBeLessThan(got[2]!.id);
      const expected = Buffer.from(new SealedSenderMultiRecipientMessage(body).messageForRecipient(new SealedSenderMultiRecipientMessage(body).recipientsByServiceIdString()[a.user.accountId]!));
      for (const d of got) expect(Buffer.from(d.envelope.content, 'base64')).toEqual(expected);
      expect(new Set(got.map((d) => d.envelope.guid)).size).toBe(3);
      for (const d of got) await member.answer(d.id);
      await member.close();
    } finally {
      await handle.close();
    }
  });
});

describe('MessageNotifier.burst', () => {
  test('runs what was held back once the burst is over, also when it throws; outside a burst nothing is held', () => {
    const notifier = new MessageNotifier();
    const ended: string[] = [];
    expect(notifier.atBurstEnd(() => ended.push('outside'))).toBe(false);
    notifier.burst(() => {
      expect(notifier.atBurstEnd(() => ended.push('a'))).toBe(true);
      notifier.burst(() => notifier.atBurstEnd(() => ended.push('nested'))); // part of the outer burst
      expect(ended).toEqual([]);
    });
    expect(ended).toEqual(['a', 'nested']);
    expect(() =>
      notifier.burst(() => {
        notifier.atBurstEnd(() => ended.push('b'));
        throw new Error('push failed');
      }),
    ).toThrow('push failed');
    expect(ended).toEqual(['a', 'nested', 'b']);
  });
});

/** A member's authenticated socket: waits for deliveries, answers them, closes. */
async function openMember(url: string, p: Party) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}${ROUTES.websocket}`, [WS_SUBPROTOCOL], { headers: { authorization: p.user.auth } });
  const frames: ServerFrame[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data) => {
    frames.push(decodeServerFrame(data.toString()));
    waiters.splice(0).forEach((w) => w());
  });
  const frame = async <T extends ServerFrame['type']>(type: T): Promise<Extract<ServerFrame, { type: T }>> => {
    for (;;) {
      const i = frames.findIndex((f) => f.type === type);
      if (i >= 0) return frames.splice(i, 1)[0] as Extract<ServerFrame, { type: T }>;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  await frame('queue.empty');
  return {
    deliver: () => frame('message.deliver'),
    /** Answers 200, then waits for a pong: the relay has handled the answer, and its batch has run. */
    answer: async (id: number) => {
      ws.send(JSON.stringify({ type: 'response', id, status: 200 }));
      ws.send(JSON.stringify({ type: 'ping', id: 1 }));
      await frame('pong');
      await new Promise((resolve) => setImmediate(resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
}

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
