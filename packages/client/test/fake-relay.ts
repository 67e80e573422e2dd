import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeClientFrame, encodeFrame, PONG, WS_SUBPROTOCOL, type ClientFrame, type ServerFrame } from '@aviso/protocol';

/**
 * A tiny relay stand-in for transport tests only: a real ws server on 127.0.0.1:0 that speaks the
 * protocol frames (answers pings unless told not to) and records what it sees.
 */
export class FakeRelay {
  readonly wss: WebSocketServer;
  readonly sockets: WebSocket[] = [];
  readonly received: ClientFrame[] = [];
  readonly upgrades: Array<{ authorization: string | undefined; protocol: string | undefined }> = [];
  answerPings = true;
  rejectUpgradeWith: number | undefined;
  #waiters: Array<() => void> = [];

  private constructor(wss: WebSocketServer) {
    this.wss = wss;
    wss.on('connection', (socket, req) => {
      this.upgrades.push({ authorization: req.headers.authorization, protocol: socket.protocol });
      this.sockets.push(socket);
      socket.on('message', (data) => {
        const frame = decodeClientFrame(data.toString());
        this.received.push(frame);
        if (frame.type === 'ping' && this.answerPings) socket.send(encodeFrame({ type: PONG, id: frame.id }));
        this.#notify();
      });
      this.#notify();
    });
  }

  static async start(): Promise<FakeRelay> {
    return FakeRelay.startOn(0);
  }

  static async startOn(port: number): Promise<FakeRelay> {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port,
      handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
      verifyClient: (_info, cb) => (relay.rejectUpgradeWith ? cb(false, relay.rejectUpgradeWith) : cb(true)),
    });
    const relay = new FakeRelay(wss);
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return relay;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/v1/websocket`;
  }

  get current(): WebSocket {
    const s = this.sockets.at(-1);
    if (!s) throw new Error('no connection yet');
    return s;
  }

  send(frame: ServerFrame | string): void {
    this.current.send(typeof frame === 'string' ? frame : encodeFrame(frame));
  }

  /** Resolves when `predicate` holds, re-checked on every connection and frame. */
  async until(predicate: () => boolean): Promise<void> {
    while (!predicate()) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  #notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  async close(): Promise<void> {
    for (const s of this.wss.clients) s.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
