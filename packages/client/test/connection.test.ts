import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLOSE_CODES, QUEUE_EMPTY, QUEUE_OVERFLOW, WS_SUBPROTOCOL, type ServerFrame } from '@aviso/protocol';
import { ConnectedElsewhereError, ConnectionClosedError, RelayRequestError } from '../src/errors.js';
import { RelayConnection, type ConnectionState } from '../src/transport/connection.js';
import { silentLogger } from '../src/util/logger.js';
import { FakeRelay } from './fake-relay.js';

function next<T>(subscribe: (cb: (v: T) => void) => void, predicate: (v: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => subscribe((v) => predicate(v) && resolve(v)));
}

describe('RelayConnection (real ws server on 127.0.0.1:0)', () => {
  let relay: FakeRelay;
  let conn: RelayConnection;
  const states: ConnectionState[] = [];
  const frames: ServerFrame[] = [];
  const errors: Error[] = [];

  beforeEach(async () => {
    relay = await FakeRelay.start();
    states.length = frames.length = errors.length = 0;
    conn = new RelayConnection({
      url: relay.url,
      headers: () => ({ authorization: 'Basic dGVzdA==' }),
      logger: silentLogger,
      backoff: { initialMs: 5, maxMs: 40 },
      keepalive: { intervalMs: 60_000, timeoutMs: 5_000 },
    });
    conn.on('state', (s) => states.push(s));
    conn.on('frame', (f) => frames.push(f));
    conn.on('error', (e) => errors.push(e));
  });
  afterEach(async () => {
    await conn.close();
    await relay.close();
  });

  const opened = () => next<ConnectionState>((cb) => conn.on('state', cb), (s) => s === 'open');

  it('offers the subprotocol and the Basic header', async () => {
    conn.start();
    await opened();
    expect(relay.upgrades[0]).toEqual({ authorization: 'Basic dGVzdA==', protocol: WS_SUBPROTOCOL });
  });

  it('reconnects with backoff after the server drops the connection', async () => {
    conn.start();
    await opened();
    relay.current.terminate();
    await relay.until(() => relay.sockets.length === 2);
    await opened();
    relay.current.close(CLOSE_CODES.GOING_AWAY);
    await relay.until(() => relay.sockets.length === 3);
    await opened();
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'connecting', 'open', 'reconnecting', 'connecting', 'open']);
    expect(errors).toEqual([]);
  });

  it('uses fresh, increasing request ids and resolves pings by id', async () => {
    conn.start();
    await opened();
    await Promise.all([conn.ping(), conn.ping(), conn.ping()]);
    const ids = relay.received.map((f) => f.id);
    expect(new Set(ids).size).toBe(3);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  it('rejects pending pings when the connection closes or drops', async () => {
    relay.answerPings = false;
    conn.start();
    await opened();
    const dropped = conn.ping();
    await relay.until(() => relay.received.length === 1);
    relay.current.terminate();
    await expect(dropped).rejects.toBeInstanceOf(ConnectionClosedError);

    await opened();
    const pending = conn.ping();
    await relay.until(() => relay.received.length === 2);
    const rejected = expect(pending).rejects.toBeInstanceOf(ConnectionClosedError);
    await conn.close();
    await rejected;
    expect(conn.state).toBe('closed');
    await expect(conn.ping()).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('ignores malformed and binary frames and delivers valid ones', async () => {
    conn.start();
    await opened();
    relay.send('not json');
    relay.send(JSON.stringify({ type: 'message.deliver', id: 1, envelope: { guid: 'nope' } }));
    relay.current.send(Buffer.from([1, 2, 3]));
    relay.send({ type: QUEUE_OVERFLOW, dropped: 3 });
    relay.send({ type: QUEUE_EMPTY });
    await next<ServerFrame>((cb) => conn.on('frame', cb), (f) => f.type === QUEUE_EMPTY);
    expect(frames).toEqual([{ type: QUEUE_OVERFLOW, dropped: 3 }, { type: QUEUE_EMPTY }]);
    expect(conn.state).toBe('open');
  });

  it('stops reconnecting on 4409 (connected elsewhere)', async () => {
    conn.start();
    await opened();
    const err = next<Error>((cb) => conn.on('error', cb));
    relay.current.close(CLOSE_CODES.CONNECTED_ELSEWHERE, 'connected elsewhere');
    expect(await err).toBeInstanceOf(ConnectedElsewhereError);
    expect(conn.state).toBe('closed');
    // Stopped for good: only an explicit start() connects again.
    conn.start();
    await opened();
    expect(relay.sockets.length).toBe(2);
  });

  it('gives up on an upgrade refused with 401', async () => {
    relay.rejectUpgradeWith = 401;
    const err = next<Error>((cb) => conn.on('error', cb));
    conn.start();
    const e = await err;
    expect(e).toBeInstanceOf(RelayRequestError);
    expect((e as RelayRequestError).code).toBe('UNAUTHORIZED');
    expect(conn.state).toBe('closed');
    expect(relay.sockets.length).toBe(0);
  });

  it('keeps retrying while the relay is unreachable, and connects once it is back', async () => {
    const port = new URL(relay.url).port;
    await relay.close();
    conn.start();
    await next<ConnectionState>((cb) => conn.on('state', cb), (s) => s === 'reconnecting');
    await next<ConnectionState>((cb) => conn.on('state', cb), (s) => s === 'reconnecting');
    // Another relay on the same port.
    relay = await FakeRelay.startOn(Number(port));
    await opened();
    expect(states.filter((s) => s === 'reconnecting').length).toBeGreaterThanOrEqual(2);
  });
});
