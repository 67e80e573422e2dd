import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLOSE_CODES, LIMITS, PING, ROUTES, WS_SUBPROTOCOL } from '@aviso/protocol';
import type { Party } from '../../packages/server/test/group-send-helpers.js';
import { scale } from '../support/scale.js';
import { InputCounter, responseProblem } from './support/checks.js';
import { FrameSession } from './support/frame-session.js';
import { FrameFuzzer } from './support/frame-fuzzer.js';
import { frameInput } from './support/frames.js';
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

// Batches of 8 to 20 frames under `pnpm test:slow` (40,000 batches ≈ 500,000 frames), 1 to 20 in CI (~500).
const BATCHES = scale(100, 40_000);
const BATCH_MIN = scale(1, 8);
const UPGRADES = scale(100, 20_000);

let relay: FuzzRelay;
let alice: Party;
let bob: Party;
let fuzzer: FrameFuzzer;
const counter = new InputCounter();

beforeAll(async () => {
  relay = await startFuzzRelay();
  [alice, bob] = relay.parties as [Party, Party];
  fuzzer = new FrameFuzzer(relay, counter);
});

afterAll(async () => {
  console.log(counter.report('WebSocket fuzz (in-process relay)'));
  await relay?.close();
});

describe('WebSocket frame fuzz', () => {
  test('valid frames are answered, invalid ones get one typed error each and the socket survives', async () => {
    await fc.assert(fc.asyncProperty(fc.array(frameInput, { minLength: BATCH_MIN, maxLength: 20 }), (batch) => fuzzer.run(batch)), { numRuns: BATCHES, endOnFailure: true });
    fuzzer.close();
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
