import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLOSE_CODES, decodeClientFrame, LIMITS, PING, ROUTES, WS_SUBPROTOCOL } from '@aviso/protocol';
import type { Party } from '../../packages/server/test/group-send-helpers.js';
import { scale } from '../support/scale.js';
import { InputCounter, responseProblem } from './support/checks.js';
import { FrameSession } from './support/frame-session.js';
import { frameInput, isValidFrame, type FrameInput } from './support/frames.js';
import { startFuzzRelay, type FuzzRelay } from './support/fuzz-relay.js';
import { base64Junk, nastyString } from './support/hostile.js';
import { brokenInvariants } from './support/invariants.js';
import { legitMembersStillWork } from './support/legit.js';

/**
 * Every client frame type (`ping`, `response`) and everything that is not one, sent on a real
 * WebSocket to an in-process relay. For each frame the protocol's decoder is the oracle: a valid
 * frame is answered as specified (`pong` with its id; a response acknowledges or is ignored), an
 * invalid one gets exactly one typed `error` frame and the connection stays open, until the
 * documented limit of malformed frames closes it with 1008. Oversized frames close it with 1009.
 */

// Batches of up to 20 frames: ~500,000 frames under `pnpm test:slow`, ~1,000 in CI.
const BATCHES = scale(100, 50_000);
const UPGRADES = scale(100, 20_000);
const MAX_MALFORMED = 10; // the gateway's default

let relay: FuzzRelay;
let alice: Party;
let bob: Party;
const counter = new InputCounter();

beforeAll(async () => {
  relay = await startFuzzRelay();
  [alice, bob] = relay.parties as [Party, Party];
});

afterAll(async () => {
  console.log(counter.report('WebSocket fuzz (in-process relay)'));
  await relay?.close();
});

/** Bob stores one envelope for alice, so deliveries interleave with the fuzzed frames. */
async function enqueue(): Promise<void> {
  const res = await relay.app.inject({
    method: 'PUT',
    url: ROUTES.messages.path(alice.user.accountId),
    headers: { authorization: bob.user.auth },
    payload: { messages: [{ destinationDeviceId: 1, destinationRegistrationId: alice.user.registrationId, content: randomBytes(40).toString('base64') }], timestamp: Date.now() },
  });
  if (res.statusCode !== 200) throw new Error(`enqueue failed: ${res.statusCode} ${res.body}`);
}

let session: FrameSession | undefined;
let malformedOnSession = 0;
let sentinel = 2 ** 31 - 1;

async function runBatch(batch: FrameInput[]): Promise<void> {
  if (!session?.open) {
    session = await FrameSession.open(relay.url, alice.user.auth);
    malformedOnSession = 0;
  }
  const s = session;
  const start = s.frames.length;
  const expectedPongs: number[] = [];
  let expectedErrors = 0;
  let expectClose: number | undefined;
  for (const f of batch) {
    counter.add(f.kind === 'enqueue' ? 'enqueue (relay stores an envelope)' : isValidFrame(f) ? 'valid frame' : 'invalid frame');
    if (f.kind === 'enqueue') {
      await enqueue();
      continue;
    }
    if (Buffer.byteLength(f.data) > LIMITS.maxFrameBytes) {
      // Over the limit: ws refuses it unread and closes with 1009, the documented code.
      counter.add('oversized frame');
      s.ws.send(f.data, { binary: f.kind === 'binary' });
      expectClose = CLOSE_CODES.TOO_BIG;
      break;
    }
    if (isValidFrame(f)) {
      const frame = decodeClientFrame(f.data as string);
      if (frame.type === PING) expectedPongs.push(frame.id);
    } else {
      expectedErrors += 1;
      malformedOnSession += 1;
    }
    s.ws.send(f.data, { binary: f.kind === 'binary' });
    if (malformedOnSession >= MAX_MALFORMED) {
      expectClose = CLOSE_CODES.POLICY_VIOLATION;
      break;
    }
  }
  const id = (sentinel = sentinel <= 1_000_000 ? 2 ** 31 - 1 : sentinel - 1);
  if (expectClose !== undefined) {
    await s.until(() => s.closeCode !== undefined);
  } else {
    s.ws.send(JSON.stringify({ type: PING, id }));
    await s.until(() => s.frames.slice(start).some((f) => f.type === 'pong' && f.id === id) || s.closeCode !== undefined);
  }
  const got = s.frames.slice(start);
  const context = () =>
    `batch ${JSON.stringify(batch.map((f) => (f.kind === 'enqueue' ? f : { kind: f.kind, data: String(f.data).slice(0, 80), valid: isValidFrame(f) })))}\nframes ${JSON.stringify(got).slice(0, 1500)}`;
  expect(s.takeProblems(), context()).toEqual([]);
  const errors = got.filter((f) => f.type === 'error');
  expect(errors.length, context()).toBe(expectedErrors);
  for (const e of errors) expect(e.type === 'error' && e.code, context()).toBe('MALFORMED_FRAME');
  if (expectClose !== undefined) {
    expect(s.closeCode, context()).toBe(expectClose);
  } else {
    expect(s.closeCode, context()).toBeUndefined();
    expect(got.flatMap((f) => (f.type === 'pong' ? [f.id] : [])), context()).toEqual([...expectedPongs, id]);
  }
}

describe('WebSocket frame fuzz', () => {
  test('valid frames are answered, invalid ones get one typed error each and the socket survives', async () => {
    await fc.assert(fc.asyncProperty(fc.array(frameInput, { minLength: 1, maxLength: 20 }), runBatch), { numRuns: BATCHES, endOnFailure: true });
    session?.close();
  });

  test('frames at the size limit get an error frame; one byte over closes the socket with 1009', async () => {
    for (const size of [LIMITS.maxFrameBytes - 1, LIMITS.maxFrameBytes, LIMITS.maxFrameBytes + 1, 4 * LIMITS.maxFrameBytes]) {
      counter.add('frame at the size limit');
      const s = await FrameSession.open(relay.url, alice.user.auth);
      const head = '{"type":"nope","id":1,"pad":"';
      const frame = `${head}${'x'.repeat(size - head.length - 2)}"}`;
      expect(Buffer.byteLength(frame)).toBe(size);
      s.ws.send(frame);
      s.ws.send(JSON.stringify({ type: PING, id: 7 }));
      await s.until(() => s.frames.some((f) => f.type === 'pong' && f.id === 7) || s.closeCode !== undefined);
      if (size > LIMITS.maxFrameBytes) expect(s.closeCode).toBe(CLOSE_CODES.TOO_BIG);
      else expect(s.frames.map((f) => f.type).filter((t) => t === 'error' || t === 'pong')).toEqual(['error', 'pong']);
      s.close();
    }
  });

  test('hostile upgrade requests are refused with a typed error, never a 5xx', async () => {
    const { port } = new URL(relay.url);
    const header = fc.oneof(nastyString, base64Junk, fc.string({ maxLength: 40 })).map((s) => s.replace(/[^\x20-\x7e]/g, ''));
    const upgrade = fc.record({
      path: fc.constantFrom(ROUTES.websocket, `${ROUTES.websocket}?x=1`, `${ROUTES.websocket}/`, '/v1/websockets', '/', ROUTES.keys),
      protocol: fc.option(fc.oneof(fc.constantFrom(WS_SUBPROTOCOL, `${WS_SUBPROTOCOL}, x`, 'aviso.v2', 'aviso.v1 ', ''), header), { freq: 4 }),
      authorization: fc.option(fc.oneof(fc.constantFrom(alice.user.auth, bob.user.auth), header.map((h) => `Basic ${h}`)), { freq: 4 }),
      version: fc.constantFrom('13', '13', '8', 'x'),
    });
    await fc.assert(
      fc.asyncProperty(upgrade, async (u) => {
        counter.add('upgrade request');
        const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = request({
            host: '127.0.0.1',
            port: Number(port),
            path: u.path,
            headers: {
              connection: 'Upgrade',
              upgrade: 'websocket',
              'sec-websocket-key': randomBytes(16).toString('base64'),
              'sec-websocket-version': u.version,
              ...(u.protocol === null ? {} : { 'sec-websocket-protocol': u.protocol }),
              ...(u.authorization === null ? {} : { authorization: u.authorization }),
            },
          });
          req.on('upgrade', (r, socket) => {
            socket.destroy();
            resolve({ status: r.statusCode ?? 0, body: '' });
          });
          req.on('response', (r) => {
            let body = '';
            r.on('data', (c: Buffer) => (body += c.toString()));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          req.end();
        });
        const problem = res.status === 101 ? undefined : responseProblem('GET', res.status, res.body);
        if (problem !== undefined) throw new Error(`${problem}\n${JSON.stringify(u)}`);
      }),
      { numRuns: UPGRADES, endOnFailure: true },
    );
  });

  test('afterwards the database is consistent and new members can register, send and receive', async () => {
    expect(brokenInvariants(relay.dataDir, { token: { value: relay.token, uses: relay.tokenUses, accountsBefore: relay.baselineAccounts } })).toEqual([]);
    await legitMembersStillWork(relay.url, relay.ctx);
  });
});
