import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PrivateKey } from '@signalapp/libsignal-client';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLOSE_CODES, ErrorBody, GROUP_SEND, LIMITS, ROUTES } from '@aviso/protocol';
import { FrameSession } from '../fuzz/support/frame-session.js';
import { brokenInvariants } from '../fuzz/support/invariants.js';
import { LegitPair, openSocket } from '../support/legit-pair.js';
import { call, registerRaw, registrationBody, type RawAccount } from '../support/raw-account.js';
import { RelayProcess } from '../support/relay.js';
import { scale } from '../support/scale.js';
import { duringAttack, LatencyReport, logged } from './support.js';

/**
 * Payload and rate abuse against a real relay process: oversized bodies and frames, a device queue
 * overflowing while offline, a socket that never reads, and floods of prekey fetches and
 * registrations. Limits must hold with typed errors, and a legit pair must keep exchanging.
 */

const QUEUE_MAX = 20;
const REGISTER_CAPACITY = 12; // enough for this file's own accounts; the flood test spends the rest
const FLOODED = scale(30, 2000);

let relay: RelayProcess;
let pair: LegitPair;
let sender: RawAccount;
/** One CLI-made token for every account this file registers (each CLI run costs seconds). */
let token: string;
const report = new LatencyReport();

beforeAll(async () => {
  relay = await RelayProcess.start({
    env: {
      AVISO_QUEUE_MAX_PER_DEVICE: String(QUEUE_MAX),
      AVISO_WS_MAX_BUFFERED_KIB: '1024',
      AVISO_REGISTER_RATE_CAPACITY: String(REGISTER_CAPACITY),
      AVISO_REGISTER_RATE_REFILL_SECONDS: '3600',
      AVISO_SEND_RATE_CAPACITY: '100000', // the pair and the flooders send back to back; the send limit has its own tests
    },
  });
  token = await relay.createToken(REGISTER_CAPACITY);
  pair = await LegitPair.create(relay.url, token, token);
  sender = pair.sender;
  report.add('baseline (no abuse)', await pair.exchanges(10));
});

afterAll(async () => {
  report.print('Payload and rate abuse');
  pair?.close();
  await relay?.dispose();
}, 120_000);

const errorOf = (body: unknown) => ErrorBody.parse(body).error;

function sendTo(to: RawAccount, content: string) {
  return call(relay.url, 'PUT', ROUTES.messages.path(to.accountId), {
    authorization: sender.authorization,
    body: { messages: [{ destinationDeviceId: 1, destinationRegistrationId: to.registrationId, content }], timestamp: Date.now() },
  });
}

/**
 * A PUT whose body the relay may refuse before it has all of it: the 413 arrives while the upload
 * is still going, and the write side then fails with EPIPE, which is expected and ignored.
 */
async function putRaw(path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: string }> {
  // The relay answers 413 and closes while the upload is still going; if its close reaches this
  // side before the answer was read, the kernel drops the answer with the connection (EPIPE or
  // ECONNRESET, no response). That is a race of the test's socket, not an answer: ask again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await putRawOnce(path, headers, body);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (attempt >= 5 || (code !== 'EPIPE' && code !== 'ECONNRESET')) throw err;
    }
  }
}

function putRawOnce(path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(relay.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port: Number(port), path, method: 'PUT', headers: { ...headers, 'content-length': String(body.length) } });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', (err) => {
      if (!answered) setTimeout(() => (answered ? undefined : reject(err)), 1000);
    });
    // The declared length is over the limit, so the relay can answer from the headers alone. Send a
    // first piece and wait for that answer, as a careful client would, before pushing the rest:
    // writing on into a connection the relay has closed is the EPIPE race above.
    req.write(body.subarray(0, 1024));
    setTimeout(() => (answered ? req.destroy() : req.end(body.subarray(1024))), 3000);
  });
}

describe('oversized input', () => {
  test('bodies over the limit get 413 PAYLOAD_TOO_LARGE, frames over it close the socket with 1009; members are still served', async () => {
    const { result, latencies } = await duringAttack(pair, async () => {
      const jsonRes = await putRaw(
        ROUTES.messages.path(pair.receiver.accountId),
        { authorization: sender.authorization, 'content-type': 'application/json' },
        Buffer.from(`{"messages":[],"pad":"${'x'.repeat(LIMITS.maxBodyBytes)}"}`),
      );
      const json = { status: jsonRes.status, body: JSON.parse(jsonRes.body) as unknown };
      const mrm = await putRaw(`${ROUTES.multiRecipient}?ts=${Date.now()}`, { 'content-type': GROUP_SEND.contentType, [GROUP_SEND.tokenHeader]: 'AAAA' }, Buffer.alloc(LIMITS.maxMultiRecipientBytes + 1));
      const mrmBody: unknown = JSON.parse(mrm.body);
      const s = await FrameSession.open(relay.url, pair.sender.authorization);
      s.ws.send(Buffer.alloc(4 * LIMITS.maxFrameBytes, 0x20).toString());
      await s.until(() => s.closeCode !== undefined);
      return { json, mrm: { status: mrm.status, body: mrmBody }, close: s.closeCode };
    });
    report.add('during oversized bodies and frames', latencies);
    expect(result.json.status).toBe(413);
    expect(errorOf(result.json.body).code).toBe('PAYLOAD_TOO_LARGE');
    expect(result.mrm.status).toBe(413);
    expect(errorOf(result.mrm.body).code).toBe('PAYLOAD_TOO_LARGE');
    expect(result.close).toBe(CLOSE_CODES.TOO_BIG);
  }, 300_000);
});

describe('queues', () => {
  test(`a device offline while ${FLOODED} envelopes arrive keeps the newest ${QUEUE_MAX} and is told how many were dropped`, async () => {
    const offline = await registerRaw(relay.url, token);
    const sent: string[] = [];
    const { latencies } = await duringAttack(pair, async () => {
      for (let i = 0; i < FLOODED; i++) {
        const content = randomBytes(32).toString('base64');
        const res = await sendTo(offline, content);
        expect(res.status).toBe(200);
        sent.push(content);
      }
    });
    report.add(`during a ${FLOODED}-envelope flood of an offline device`, latencies);
    const s = await FrameSession.open(relay.url, offline.authorization);
    await s.until(() => s.frames.some((f) => f.type === 'queue.empty'));
    const overflow = s.frames[0];
    expect(overflow).toEqual({ type: 'queue.overflow', dropped: FLOODED - QUEUE_MAX });
    const delivered = s.frames.flatMap((f) => (f.type === 'message.deliver' ? [f.envelope.content] : []));
    expect(delivered).toEqual(sent.slice(-QUEUE_MAX));
    s.close();
  }, 300_000);

  test('a socket that never reads is cut off once its send buffer passes the limit; nothing queued is lost', async () => {
    const victim = await registerRaw(relay.url, token);
    const ws = await openSocket(relay.url, victim.authorization);
    ws.pause(); // never reads again: everything the relay sends piles up
    // As many as the queue keeps, so every one must survive the cut-off.
    const big = Array.from({ length: QUEUE_MAX }, () => randomBytes(LIMITS.maxEnvelopeBytes).toString('base64'));
    const { latencies } = await duringAttack(pair, async () => {
      for (const content of big) expect((await sendTo(victim, content)).status).toBe(200);
      // The in-flight window caps deliveries; pings (each answered with a pong) push past the kernel buffers.
      let id = 0;
      while (!/client is not reading; socket terminated/.test(relay.log)) {
        if (id > 5_000_000) throw new Error('the relay never cut off the socket');
        if (ws.readyState !== WebSocket.OPEN) break;
        for (let i = 0; i < 5000; i++) ws.send(`{"type":"ping","id":${(id++ % 1_000_000) + 1}}`);
        await new Promise<void>((r) => ws.send('{"type":"ping","id":0}', () => r()));
      }
      await logged(relay, /client is not reading; socket terminated/);
    });
    report.add(`during a socket that never reads (${QUEUE_MAX} × 64 KiB + pings)`, latencies);
    ws.terminate();
    // Nothing was acknowledged, so nothing was deleted: a reading reconnect gets all of it.
    const s = await FrameSession.open(relay.url, victim.authorization);
    const contents = () => new Set(s.frames.flatMap((f) => (f.type === 'message.deliver' ? [f.envelope.content] : [])));
    s.ws.on('message', (data: Buffer) => {
      const f = JSON.parse(data.toString()) as { type: string; id: number };
      if (f.type === 'message.deliver') s.ws.send(JSON.stringify({ type: 'response', id: f.id, status: 200 }));
    });
    await s.until(() => contents().size === big.length, 120_000);
    const got = contents();
    expect([...got].sort()).toEqual([...big].sort());
    s.close();
  }, 300_000);
});

describe('rate limits', () => {
  test('a prekey-fetch flood gets 429 RATE_LIMITED with retryAfterSeconds after the bucket, and burns no more keys', async () => {
    const [target, requester] = [await registerRaw(relay.url, token), await registerRaw(relay.url, token)];
    const preKeys = Array.from({ length: 20 }, (_, i) => ({ keyId: i + 1, publicKey: Buffer.from(PrivateKey.generate().getPublicKey().serialize()).toString('base64') }));
    expect((await call(relay.url, 'PUT', ROUTES.keys, { authorization: target.authorization, body: { preKeys } })).status).toBe(204);
    const { result: statuses, latencies } = await duringAttack(pair, async () => {
      const out: { status: number; body: unknown }[] = [];
      for (let i = 0; i < scale(30, 1000); i++) out.push(await call(relay.url, 'GET', ROUTES.keyBundle.path(target.accountId, 1), { authorization: requester.authorization }));
      return out;
    });
    report.add('during a prekey-fetch flood', latencies);
    const ok = statuses.filter((r) => r.status === 200).length;
    expect(ok).toBe(6); // AVISO_KEYS_RATE_CAPACITY default
    for (const r of statuses.slice(ok)) {
      expect(r.status).toBe(429);
      expect(errorOf(r.body)).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
      expect(errorOf(r.body).details?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    }
    const count = await call(relay.url, 'GET', ROUTES.keys, { authorization: target.authorization });
    expect(count.body).toMatchObject({ count: 20 - 6 });
  }, 300_000);

  test('a registration flood is refused with 429 RATE_LIMITED once the bucket is empty; nothing is stored; members are still served', async () => {
    const db = () => new Database(join(relay.dataDir, 'aviso.sqlite'), { readonly: true, fileMustExist: true });
    const countAccounts = () => {
      const d = db();
      try {
        return (d.prepare('SELECT count(*) AS n FROM accounts').get() as { n: number }).n;
      } finally {
        d.close();
      }
    };
    const before = countAccounts();
    const attempts = scale(40, 2000);
    const { result, latencies } = await duringAttack(pair, async () => {
      const out: { status: number; body: unknown }[] = [];
      for (let i = 0; i < attempts; i++) {
        const { identity: _identity, ...body } = registrationBody(`guessed-token-${i}-${randomBytes(8).toString('hex')}`);
        out.push(await call(relay.url, 'POST', ROUTES.accounts, { body }));
      }
      return out;
    });
    report.add(`during a ${attempts}-attempt registration flood`, latencies);
    const refused = result.findIndex((r) => r.status === 429);
    expect(refused).toBeGreaterThanOrEqual(0);
    expect(refused).toBeLessThanOrEqual(REGISTER_CAPACITY);
    for (const r of result.slice(0, refused)) expect(errorOf(r.body).code).toBe('INVALID_TOKEN');
    for (const r of result.slice(refused)) {
      expect(r.status).toBe(429);
      expect(errorOf(r.body).details?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    }
    // While the bucket is empty even a good token waits: the limit is relay-wide by design.
    const { identity: _identity, ...good } = registrationBody(await relay.createToken());
    expect((await call(relay.url, 'POST', ROUTES.accounts, { body: good })).status).toBe(429);
    expect(countAccounts()).toBe(before);
    expect(brokenInvariants(relay.dataDir)).toEqual([]);
  }, 300_000);
});
