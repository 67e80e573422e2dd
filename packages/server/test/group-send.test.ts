import { groupDecrypt, ProtocolAddress, sealedSenderDecryptToUsmc } from '@signalapp/libsignal-client';
import SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { decodeServerFrame, GROUP_SEND, LIMITS, MultiMismatchedDevices, MultiStaleDevices, ROUTES, WS_SUBPROTOCOL, type ServerFrame } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { DATABASE_FILE } from '../src/context.js';
import { createContext, createLogger, startServer } from '../src/index.js';
import { SharedBase64 } from '../src/services/delivery/delivery.js';
import { errorCode } from './group-helpers.js';
import { groupOf, multiRecipientSend, Party, sendScenario as scenario, tokenFor, tokenHeader } from './group-send-helpers.js';
import { countRows, LogSink, ManualClock, tempDir, testConfig, testRelay, type TestRelay } from './helpers.js';

const DAY_MS = 86_400_000;
const text = (s: string) => new Uint8Array(Buffer.from(s));

function queued(relay: TestRelay, p: Party) {
  return relay.ctx.services.messages.fetch({ accountId: p.user.accountId, deviceId: p.user.deviceId }, 0, 100);
}

function rows(relay: TestRelay, table: string): Record<string, unknown>[] {
  return relay.ctx.storage.db.$client.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[];
}

describe('PUT /v1/messages/multi_recipient', () => {
  test('libsignal\'s messageForRecipient is the recipient\'s range after the version byte, then the shared data', async () => {
    const relay = await testRelay();
    const { body } = await scenario(relay);
    const parsed = new SealedSenderMultiRecipientMessage(body);
    const shared = Buffer.from(body.subarray(parsed._offsetOfSharedData));
    const outputs = Object.values(parsed._recipientMap).map((r) => Buffer.from(parsed.messageForRecipient(r)));
    expect(outputs).toHaveLength(3);
    for (const [i, r] of Object.values(parsed._recipientMap).entries()) {
      const prefix = Buffer.concat([Buffer.of(0x22), body.subarray(r.rangeOffset, r.rangeOffset + r.rangeLen)]);
      expect(outputs[i]).toEqual(Buffer.concat([prefix, shared]));
      expect(prefix.length).toBeLessThan(64);
    }
    // The shared part is the longest common suffix: the outputs differ right before it.
    const [a, b] = outputs as [Buffer, Buffer];
    expect(a[a.length - shared.length - 1]).not.toBe(b[b.length - shared.length - 1]);
  });

  test('stores the shared part once, delivers each recipient libsignal\'s bytes, and they decrypt', async () => {
    const relay = await testRelay();
    const { sender, recipients, body, token, plaintext } = await scenario(relay);
    const notified: string[] = [];
    // Listeners that do not send what they are handed (a full in-flight window): every envelope gets its row.
    for (const r of recipients) {
      relay.ctx.services.notifier.subscribe(r.user.accountId, 1, () => {
        notified.push(r.user.accountId);
        return false;
      });
    }

    const res = await multiRecipientSend(relay, body, tokenHeader(token));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ stored: 3 });
    expect(notified.sort()).toEqual(recipients.map((r) => r.user.accountId).sort());

    // N small per-device rows and one shared row.
    const parsed = new SealedSenderMultiRecipientMessage(body);
    const sharedLength = body.length - parsed._offsetOfSharedData;
    expect(countRows(relay.ctx, 'messages')).toBe(3);
    expect(countRows(relay.ctx, 'shared_payloads')).toBe(1);
    const shared = rows(relay, 'shared_payloads')[0]!;
    expect((shared.content as Buffer).length).toBe(sharedLength);
    for (const row of rows(relay, 'messages')) {
      expect(row.shared_id).toBe(shared.id);
      expect((row.content as Buffer).length).toBe(49); // version byte ‖ C_i (32) ‖ AT_i (16)
    }

    const byAci = parsed.recipientsByServiceIdString();
    const trustRoot = relay.ctx.keys.trustRoot;
    for (const r of recipients) {
      const [delivered, ...more] = queued(relay, r);
      expect(more).toEqual([]);
      const bytes = new Uint8Array(Buffer.from(delivered!.envelope.content, 'base64'));
      expect(Buffer.from(bytes)).toEqual(Buffer.from(parsed.messageForRecipient(byAci[r.user.accountId]!)));

      const usmc = await sealedSenderDecryptToUsmc(bytes, r.identityStore);
      const cert = usmc.senderCertificate();
      expect(cert.validate(trustRoot, delivered!.envelope.serverTimestamp)).toBe(true);
      expect(cert.senderUuid()).toBe(sender.user.accountId);
      const opened = await groupDecrypt(ProtocolAddress.new(cert.senderUuid(), cert.senderDeviceId()), r.senderKeyStore, usmc.contents());
      expect(Buffer.from(opened)).toEqual(Buffer.from(plaintext));
    }
  });

  test('no stored row holds the sender\'s account id, as text or as its 16 bytes', async () => {
    const relay = await testRelay();
    const { sender, body, token } = await scenario(relay);
    expect((await multiRecipientSend(relay, body, tokenHeader(token))).statusCode).toBe(200);
    const idText = sender.user.accountId;
    const idBytes = Buffer.from(sender.aci.getRawUuidBytes());
    for (const table of ['messages', 'shared_payloads']) {
      for (const row of rows(relay, table)) {
        for (const value of Object.values(row)) {
          if (Buffer.isBuffer(value)) {
            expect(value.includes(idBytes)).toBe(false);
            expect(value.includes(Buffer.from(idText))).toBe(false);
          } else {
            expect(String(value)).not.toContain(idText);
          }
        }
      }
    }
  });

  test('acknowledgements delete the rows; the shared row goes with the last one', async () => {
    const relay = await testRelay();
    const { recipients, body, token } = await scenario(relay);
    expect((await multiRecipientSend(relay, body, tokenHeader(token))).statusCode).toBe(200);
    const ack = (p: Party) => {
      const [m] = queued(relay, p);
      return relay.ctx.services.messages.acknowledge({ accountId: p.user.accountId, deviceId: 1 }, m!.id);
    };
    const [a, b, c] = recipients as [Party, Party, Party];
    expect(ack(a)).toBe(true);
    expect(ack(b)).toBe(true);
    expect(countRows(relay.ctx, 'messages')).toBe(1);
    expect(countRows(relay.ctx, 'shared_payloads')).toBe(1);
    // The remaining recipient still gets the whole message.
    expect(Buffer.from(queued(relay, c)[0]!.envelope.content, 'base64').length).toBe(49 + (body.length - new SealedSenderMultiRecipientMessage(body)._offsetOfSharedData));
    expect(ack(c)).toBe(true);
    expect(countRows(relay.ctx, 'messages')).toBe(0);
    expect(countRows(relay.ctx, 'shared_payloads')).toBe(0);
  });

  test('batched acknowledgements delete the rows in one go, and the shared row with the last one', async () => {
    const relay = await testRelay();
    const { recipients, body, token } = await scenario(relay);
    expect((await multiRecipientSend(relay, body, tokenHeader(token))).statusCode).toBe(200);
    const messages = relay.ctx.services.messages;
    const ackSoon = (p: Party) => messages.acknowledgeSoon({ accountId: p.user.accountId, deviceId: 1 }, queued(relay, p)[0]!.id);
    const [a, b, c] = recipients as [Party, Party, Party];
    ackSoon(a);
    ackSoon(b);
    expect(countRows(relay.ctx, 'messages')).toBe(3); // nothing deleted before the batch commits
    await new Promise((resolve) => setImmediate(resolve));
    expect(countRows(relay.ctx, 'messages')).toBe(1);
    expect(countRows(relay.ctx, 'shared_payloads')).toBe(1);
    ackSoon(c);
    // A repeated ack, and c's queue position acknowledged by another device, delete nothing more and break nothing.
    messages.acknowledgeSoon({ accountId: c.user.accountId, deviceId: 1 }, queued(relay, c)[0]!.id);
    messages.acknowledgeSoon({ accountId: a.user.accountId, deviceId: 1 }, queued(relay, c)[0]!.id);
    messages.flushAcknowledgements();
    expect(countRows(relay.ctx, 'messages')).toBe(0);
    expect(countRows(relay.ctx, 'shared_payloads')).toBe(0);
  });

  test('the shared part\'s base64 is encoded once and spliced: equal to encoding each whole envelope', () => {
    for (let sharedLength = 0; sharedLength <= 7; sharedLength++) {
      const shared = new Uint8Array(Array.from({ length: sharedLength }, (_, i) => 200 + i));
      const encoder = new SharedBase64(shared);
      for (let prefixLength = 0; prefixLength <= 7; prefixLength++) {
        for (const fill of [0, 0xff]) {
          const prefix = new Uint8Array(prefixLength).fill(fill);
          const whole = Buffer.concat([prefix, shared]).toString('base64');
          expect(encoder.withPrefix(prefix)).toBe(whole);
          // The pieces the connection frames pushes from: the same base64, then the frame's close.
          const { own, sharedAndClose } = encoder.piecesWithPrefix(prefix);
          expect(own + sharedAndClose.toString('latin1')).toBe(`${whole}"}}`);
        }
      }
    }
  });

  test('every recipient\'s piece encoded in one go equals encoding each recipient\'s alone', () => {
    for (const sharedLength of [0, 1, 2, 3, 40, 1000]) {
      const shared = new Uint8Array(Array.from({ length: sharedLength }, (_, i) => (i * 7 + 3) % 256));
      const encoder = new SharedBase64(shared);
      for (const prefixLength of [1, 47, 48, 49, 50]) {
        const prefixes = Array.from({ length: 5 }, (_, k) => new Uint8Array(Array.from({ length: prefixLength }, (_, i) => (i * 31 + k * 17) % 256)));
        const all = encoder.piecesForAll(prefixes);
        expect(all.map((p) => p.own + p.sharedAndClose.toString('latin1'))).toEqual(prefixes.map((p) => `${Buffer.concat([p, shared]).toString('base64')}"}}`));
      }
      // Prefixes of different lengths take the one-by-one path, with the same result.
      const mixed = [new Uint8Array([1, 2]), new Uint8Array([3, 4, 5])];
      expect(encoder.piecesForAll(mixed).map((p) => p.own + p.sharedAndClose.toString('latin1'))).toEqual(mixed.map((p) => `${Buffer.concat([p, shared]).toString('base64')}"}}`));
    }
    expect(new SharedBase64(new Uint8Array(3)).piecesForAll([])).toEqual([]);
  });

  test('the expiry sweep removes the envelopes and their shared payload', async () => {
    const relay = await testRelay();
    const { body, token } = await scenario(relay);
    expect((await multiRecipientSend(relay, body, tokenHeader(token))).statusCode).toBe(200);
    relay.clock.advance(relay.ctx.config.queueTtlDays * DAY_MS);
    expect(relay.ctx.services.messages.deleteExpired()).toBe(3);
    expect(countRows(relay.ctx, 'messages')).toBe(0);
    expect(countRows(relay.ctx, 'shared_payloads')).toBe(0);
  });

  test('a token for a different recipient set is refused and nothing is stored', async () => {
    const relay = await testRelay();
    const { group, sender, recipients, body } = await scenario(relay);
    const fewer = await tokenFor(group, sender, recipients.slice(0, 2).map((r) => r.aci));
    const withSelf = await tokenFor(group, sender, [sender.aci, ...recipients.map((r) => r.aci)]);
    for (const token of [fewer, withSelf]) {
      const res = await multiRecipientSend(relay, body, tokenHeader(token));
      expect(res.statusCode).toBe(401);
      expect(errorCode(res)).toBe('UNAUTHORIZED');
    }
    expect(countRows(relay.ctx, 'messages')).toBe(0);
    expect(countRows(relay.ctx, 'shared_payloads')).toBe(0);
  });

  test('an expired token is refused', async () => {
    const relay = await testRelay();
    const { body, token } = await scenario(relay);
    relay.clock.advance(2 * DAY_MS + 1);
    const res = await multiRecipientSend(relay, body, tokenHeader(token));
    expect(res.statusCode).toBe(401);
    expect(countRows(relay.ctx, 'messages')).toBe(0);
  });

  test('a token verified once is still checked for its recipients and its expiry on every send', async () => {
    const relay = await testRelay();
    const { group, sender, recipients, body, token } = await scenario(relay);
    expect((await multiRecipientSend(relay, body, tokenHeader(token))).statusCode).toBe(200);
    expect((await multiRecipientSend(relay, body, tokenHeader(token))).statusCode).toBe(200); // the remembered verification
    // A token for fewer recipients, verified for its own set, does not pass for the full set.
    const fewer = await tokenFor(group, sender, recipients.slice(0, 2).map((r) => r.aci));
    const fewerBody = await sender.sentMessage(relay, await Promise.all(recipients.slice(0, 2).map((r) => sender.connect(r))), text('x'));
    expect((await multiRecipientSend(relay, fewerBody, tokenHeader(fewer))).statusCode).toBe(200);
    expect((await multiRecipientSend(relay, body, tokenHeader(fewer))).statusCode).toBe(401);
    relay.clock.advance(2 * DAY_MS + 1);
    expect((await multiRecipientSend(relay, body, tokenHeader(token))).statusCode).toBe(401);
    expect(countRows(relay.ctx, 'messages')).toBe(3 + 3 + 2);
  });

  test('missing or malformed tokens are refused', async () => {
    const relay = await testRelay();
    const { body, token } = await scenario(relay);
    const tampered = Buffer.from(token, 'base64');
    tampered[tampered.length - 1]! ^= 1;
    for (const headers of [{}, tokenHeader(''), tokenHeader('not base64 at all!'), tokenHeader(tampered.toString('base64')), tokenHeader('A'.repeat(300))]) {
      const res = await multiRecipientSend(relay, body, headers);
      expect(res.statusCode).toBe(401);
      expect(errorCode(res)).toBe('UNAUTHORIZED');
    }
    expect(countRows(relay.ctx, 'messages')).toBe(0);
  });

  test('an Authorization header is refused: a group send must not identify its sender', async () => {
    const relay = await testRelay();
    const { sender, body, token } = await scenario(relay);
    const res = await multiRecipientSend(relay, body, { ...tokenHeader(token), authorization: sender.user.auth });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe('group sends carry no account credentials');
    expect(countRows(relay.ctx, 'messages')).toBe(0);
  });

  test('malformed bodies, a wrong content type and a missing ts are refused', async () => {
    const relay = await testRelay();
    const { body, token } = await scenario(relay);
    const truncated = body.subarray(0, 40);
    const garbage = new Uint8Array(200).fill(0x23);
    for (const bad of [truncated, garbage, new Uint8Array([0x22])]) {
      const res = await multiRecipientSend(relay, bad, tokenHeader(token));
      expect(res.statusCode).toBe(400);
      expect(errorCode(res)).toBe('BAD_REQUEST');
    }
    const json = await relay.app.inject({
      method: 'PUT',
      url: `${ROUTES.multiRecipient}?ts=1`,
      headers: tokenHeader(token),
      payload: { messages: [] },
    });
    expect(json.statusCode).toBe(400);
    const noTs = await relay.app.inject({
      method: 'PUT',
      url: ROUTES.multiRecipient,
      headers: { ...tokenHeader(token), 'content-type': GROUP_SEND.contentType },
      payload: Buffer.from(body),
    });
    expect(noTs.statusCode).toBe(400);
    expect(countRows(relay.ctx, 'messages')).toBe(0);
  });

  test('a body over maxMultiRecipientBytes is 413; the raised limit applies to this route only', async () => {
    const relay = await testRelay();
    const { token } = await scenario(relay, 2);
    const res = await multiRecipientSend(relay, new Uint8Array(LIMITS.maxMultiRecipientBytes + 1), tokenHeader(token));
    expect(res.statusCode).toBe(413);
    expect(errorCode(res)).toBe('PAYLOAD_TOO_LARGE');
    const other = await relay.app.inject({
      method: 'PUT',
      url: ROUTES.messages.path('3b2f6a2e-8d8e-4f4e-9c1a-0d6a7c5e4b3a'),
      headers: { 'content-type': GROUP_SEND.contentType },
      payload: Buffer.alloc(LIMITS.maxBodyBytes + 1),
    });
    expect(other.statusCode).toBe(413);
  });

  test('a message larger than maxEnvelopeBytes per recipient is 413 and nothing is stored', async () => {
    const relay = await testRelay();
    const { body, token } = await scenario(relay, 3, new Uint8Array(LIMITS.maxEnvelopeBytes));
    const res = await multiRecipientSend(relay, body, tokenHeader(token));
    expect(res.statusCode).toBe(413);
    expect(countRows(relay.ctx, 'shared_payloads')).toBe(0);
  });

  test('409 lists missing and extra devices per account, and stores nothing', async () => {
    const relay = await testRelay();
    const { group, parties } = await groupOf(relay, 4);
    const [sender, bob, carol, dave] = parties as [Party, Party, Party, Party];
    // carol has a second device the sender does not know about; the sender addresses a device 2 bob does not have.
    relay.ctx.storage.db.$client
      .prepare('INSERT INTO devices (account_id, device_id, registration_id, auth_salt, auth_hash, last_seen_day) VALUES (?, 2, 77, x\'00\', x\'00\', 0)')
      .run(carol.user.accountId);
    const addresses = [await sender.connect(bob), await sender.connect(bob, { deviceId: 2 }), await sender.connect(carol), await sender.connect(dave)];
    await sender.distributeSenderKey([bob, carol, dave]);
    const body = await sender.sentMessage(relay, addresses, text('hi'));
    const token = await tokenFor(group, sender, [bob.aci, carol.aci, dave.aci]);
    const res = await multiRecipientSend(relay, body, tokenHeader(token));
    expect(res.statusCode).toBe(409);
    expect(errorCode(res)).toBe('MISMATCHED_DEVICES');
    const details = MultiMismatchedDevices.parse(res.json().error.details);
    expect(details.accounts.sort((x, y) => x.accountId.localeCompare(y.accountId))).toEqual(
      [
        { accountId: bob.user.accountId, missingDevices: [], extraDevices: [2] },
        { accountId: carol.user.accountId, missingDevices: [2], extraDevices: [] },
      ].sort((x, y) => x.accountId.localeCompare(y.accountId)),
    );
    expect(countRows(relay.ctx, 'messages')).toBe(0);
    expect(countRows(relay.ctx, 'shared_payloads')).toBe(0);
  });

  test('410 lists stale devices per account, and stores nothing', async () => {
    const relay = await testRelay();
    const { group, parties } = await groupOf(relay, 3);
    const [sender, bob, carol] = parties as [Party, Party, Party];
    const staleId = (bob.user.registrationId % 16000) + 1;
    const addresses = [await sender.connect(bob, { registrationId: staleId }), await sender.connect(carol)];
    await sender.distributeSenderKey([bob, carol]);
    const body = await sender.sentMessage(relay, addresses, text('hi'));
    const res = await multiRecipientSend(relay, body, tokenHeader(await tokenFor(group, sender, [bob.aci, carol.aci])));
    expect(res.statusCode).toBe(410);
    expect(errorCode(res)).toBe('STALE_DEVICES');
    expect(MultiStaleDevices.parse(res.json().error.details)).toEqual({ accounts: [{ accountId: bob.user.accountId, staleDevices: [1] }] });
    expect(countRows(relay.ctx, 'messages')).toBe(0);
  });

  test('404 lists recipients without an account, and stores nothing', async () => {
    const relay = await testRelay();
    const { recipients, body, token } = await scenario(relay);
    const gone = recipients[1]!;
    relay.ctx.storage.db.$client.prepare('DELETE FROM accounts WHERE id = ?').run(gone.user.accountId);
    const res = await multiRecipientSend(relay, body, tokenHeader(token));
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ code: 'NOT_FOUND', details: { accounts: [gone.user.accountId] } });
    expect(countRows(relay.ctx, 'messages')).toBe(0);
  });

  test('a PNI recipient is refused before the token is looked at', async () => {
    const relay = await testRelay();
    const { group, parties } = await groupOf(relay, 3);
    const [sender, bob, carol] = parties as [Party, Party, Party];
    const pni = `PNI:${carol.user.accountId}`;
    const addresses = [await sender.connect(bob), await sender.connect(carol, { name: pni })];
    await sender.distributeSenderKey([bob, carol]);
    const body = await sender.sentMessage(relay, addresses, text('hi'));
    const res = await multiRecipientSend(relay, body, tokenHeader(await tokenFor(group, sender, [bob.aci, carol.aci])));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe('recipients must be ACIs');
  });

  test('sends are rate limited per token', async () => {
    const relay = await testRelay({ AVISO_SEND_RATE_CAPACITY: '2' });
    const { body, token } = await scenario(relay, 3);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await multiRecipientSend(relay, body, tokenHeader(token))).statusCode);
    expect(statuses).toEqual([200, 200, 429]);
  });

  test('the per-device queue cap still applies to group sends', async () => {
    const relay = await testRelay({ AVISO_QUEUE_MAX_PER_DEVICE: '2' });
    const { recipients, body, token } = await scenario(relay, 2);
    for (let i = 0; i < 3; i++) expect((await multiRecipientSend(relay, body, tokenHeader(token))).statusCode).toBe(200);
    expect(queued(relay, recipients[0]!)).toHaveLength(2);
    // The trimmed envelope's shared payload went with it.
    expect(countRows(relay.ctx, 'shared_payloads')).toBe(2);
  });

  test('logs carry neither the token nor recipient ids', async () => {
    const relay = await testRelay();
    const { recipients, body, token } = await scenario(relay);
    const before = relay.logs.lines.length;
    expect((await multiRecipientSend(relay, body, tokenHeader(token))).statusCode).toBe(200);
    const logged = relay.logs.lines.slice(before).join('\n');
    expect(logged).toContain('"recipients":3');
    expect(relay.logs.text).not.toContain(token);
    for (const r of recipients) expect(logged).not.toContain(r.user.accountId);
  });

  test('a database from before group sends migrates, and its queued 1:1 envelopes are still delivered', async () => {
    const dir = tempDir();
    const migrations = join(dir, 'migrations');
    mkdirSync(join(migrations, 'meta'), { recursive: true });
    const source = new URL('../drizzle/', import.meta.url);
    const journal = JSON.parse(readFileSync(new URL('meta/_journal.json', source), 'utf8')) as { entries: { tag: string }[] };
    // The migrations up to, not including, group sends: the later ones build on it.
    const before = journal.entries.slice(0, journal.entries.findIndex((e) => e.tag.endsWith('group_sends')));
    expect(before.length).toBeGreaterThan(0);
    for (const e of before) cpSync(new URL(`${e.tag}.sql`, source), join(migrations, `${e.tag}.sql`));
    writeFileSync(join(migrations, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: before }));
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    const old = new Database(join(dataDir, DATABASE_FILE));
    migrate(drizzle(old), { migrationsFolder: migrations });
    const accountId = '3b2f6a2e-8d8e-4f4e-9c1a-0d6a7c5e4b3a';
    old.prepare("INSERT INTO accounts (id, identity_key, created_day) VALUES (?, x'05', 0)").run(accountId);
    old.prepare("INSERT INTO devices (account_id, device_id, registration_id, auth_salt, auth_hash, last_seen_day) VALUES (?, 1, 1, x'00', x'00', 0)").run(accountId);
    old
      .prepare("INSERT INTO messages (guid, account_id, device_id, received_at, expires_at, content) VALUES ('g', ?, 1, 0, ?, x'0102030405')")
      .run(accountId, Date.UTC(2030, 0, 1));
    old.close();

    const ctx = createContext(testConfig({}, dataDir), { clock: new ManualClock(), logger: createLogger('error', new LogSink().stream), sweepIntervalMs: 0 });
    try {
      expect(countRows(ctx, 'shared_payloads')).toBe(0);
      const [m] = ctx.services.messages.fetch({ accountId, deviceId: 1 }, 0, 10);
      expect(m?.envelope.content).toBe(Buffer.from([1, 2, 3, 4, 5]).toString('base64'));
    } finally {
      ctx.close();
    }
  });

  test('over a live WebSocket: an online recipient is pushed libsignal\'s bytes, and its ack removes the shared payload', async () => {
    const clock = new ManualClock();
    const logs = new LogSink();
    const handle = await startServer(testConfig(), { clock, logger: createLogger('debug', logs.stream), sweepIntervalMs: 0 });
    try {
      const relay: TestRelay = { ctx: handle.context, app: handle.app, clock, logs };
      const { recipients, body, token } = await scenario(relay, 2);
      const bob = recipients[0]!;
      const ws = new WebSocket(`${handle.url.replace('http', 'ws')}${ROUTES.websocket}`, [WS_SUBPROTOCOL], { headers: { authorization: bob.user.auth } });
      const frames: ServerFrame[] = [];
      const waiters: (() => void)[] = [];
      ws.on('message', (data) => {
        frames.push(decodeServerFrame(data.toString()));
        waiters.splice(0).forEach((w) => w());
      });
      const frame = async (type: ServerFrame['type']): Promise<ServerFrame> => {
        for (;;) {
          const i = frames.findIndex((f) => f.type === type);
          if (i >= 0) return frames.splice(i, 1)[0]!;
          await new Promise<void>((resolve) => waiters.push(resolve));
        }
      };
      await frame('queue.empty');

      const res = await fetch(`${handle.url}${ROUTES.multiRecipient}?ts=${clock.now()}`, {
        method: 'PUT',
        headers: { 'content-type': GROUP_SEND.contentType, ...tokenHeader(token) },
        body: Buffer.from(body),
      });
      expect(res.status).toBe(200);
      const deliver = await frame('message.deliver');
      if (deliver.type !== 'message.deliver') throw new Error('unreachable');
      const parsed = new SealedSenderMultiRecipientMessage(body);
      expect(Buffer.from(deliver.envelope.content, 'base64')).toEqual(Buffer.from(parsed.messageForRecipient(parsed.recipientsByServiceIdString()[bob.user.accountId]!)));
      expect(countRows(handle.context, 'shared_payloads')).toBe(1);

      ws.send(JSON.stringify({ type: 'response', id: deliver.id, status: 200 }));
      ws.send(JSON.stringify({ type: 'ping', id: 1 }));
      await frame('pong');
      expect(countRows(handle.context, 'messages')).toBe(0);
      expect(countRows(handle.context, 'shared_payloads')).toBe(0);
      ws.close();
    } finally {
      await handle.close();
    }
  });
});
