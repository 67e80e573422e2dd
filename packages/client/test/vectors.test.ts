import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeServerFrame, encodeFrame, QUEUE_OVERFLOW, type ServerFrame } from '@aviso/protocol';
import { loadVectors } from '@aviso/protocol/testing';
import { buildSessions, EnvelopeRejectedError, openSealed, sealPadded } from '../src/crypto/index.js';
import { RelayConnection } from '../src/transport/connection.js';
import { silentLogger } from '../src/util/logger.js';
import { FakeRelay } from './fake-relay.js';
import { Party, TestAuthority } from './helpers.js';

/** The protocol's shared vectors, run through the SDK's own transport and crypto. */
describe('server frame vectors through RelayConnection', () => {
  let relay: FakeRelay;
  let conn: RelayConnection;
  const frames: ServerFrame[] = [];
  const waiters: (() => void)[] = [];

  beforeEach(async () => {
    relay = await FakeRelay.start();
    frames.length = 0;
    conn = new RelayConnection({ url: relay.url, headers: () => ({}), logger: silentLogger, keepalive: { intervalMs: 60_000, timeoutMs: 5_000 } });
    conn.on('frame', (f) => {
      frames.push(f);
      waiters.splice(0).forEach((w) => w());
    });
    conn.start();
    await relay.until(() => relay.sockets.length === 1);
  });
  afterEach(async () => {
    await conn.close();
    await relay.close();
  });

  let marker = 1_000;
  for (const v of loadVectors('server-frames.json', readFileSync)) {
    it(v.comment, async () => {
      relay.send(v.input);
      // A known-good frame after the vector marks where the connection's reaction to it ends.
      const mark = marker++;
      relay.send(encodeFrame({ type: QUEUE_OVERFLOW, dropped: mark }));
      while (!frames.some((f) => f.type === QUEUE_OVERFLOW && f.dropped === mark)) await new Promise<void>((r) => waiters.push(r));
      const before = frames.slice(0, -1);
      if (!v.valid) expect(before).toEqual([]); // dropped, and the connection carried on
      else if (decodeServerFrame(v.input).type === 'pong') expect(before.length).toBeLessThanOrEqual(1); // pongs may be consumed by keepalive
      else expect(before).toEqual([JSON.parse(v.input)]);
    });
  }
});

describe('content vectors through sealed sender', () => {
  for (const v of loadVectors('content.json', readFileSync)) {
    it(v.comment, async () => {
      const ca = new TestAuthority();
      const alice = new Party();
      const bob = new Party();
      const sending = alice.zone();
      await buildSessions(sending.stores, alice.address, bob.accountId, bob.bundle());
      const sealed = await sealPadded(new Uint8Array(Buffer.from(v.padded, 'base64')), bob.address, ca.issue(alice), sending.stores);
      sending.zone.commit();

      const receiving = bob.zone();
      const opened = openSealed({
        ciphertext: sealed.ciphertext,
        serverTimestamp: Date.now(),
        trustRoot: ca.trustRoot.getPublicKey(),
        localAccountId: bob.accountId,
        localDeviceId: bob.deviceId,
        stores: receiving.stores,
      });
      if (v.valid) {
        expect((await opened).content).toEqual(v.decoded);
      } else {
        const err = await opened.then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(EnvelopeRejectedError);
        expect((err as EnvelopeRejectedError).reason).toBe('malformed-content');
      }
    });
  }
});
