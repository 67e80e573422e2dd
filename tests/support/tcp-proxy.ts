import { createServer, connect, type Server, type Socket } from 'node:net';

type Direction = 'down' | 'up';

/** One proxied connection: `client` is the side the SDK opened, `upstream` the side to the relay. */
interface Link {
  client: Socket;
  upstream: Socket;
  /** live: forwarding. held: accepted during an outage, forwards once healed. dead: half-open forever. */
  state: 'live' | 'held' | 'dead';
  /** Bytes each direction may still carry before the link is cut (mid-frame), if a cut is armed. */
  budget: Record<Direction, number | undefined>;
  pending: Record<Direction, Buffer[]>;
}

/**
 * A TCP proxy between SDK clients and the relay that can fail the way networks fail:
 *  - `cutAfter(n)`: every live connection is cut after `n` more bytes in a direction, wherever that
 *    falls (inside a WebSocket frame, an HTTP body), both sockets destroyed;
 *  - `blackhole()`: nothing is forwarded either way and nothing is closed (a half-open connection:
 *    a NAT that forgot the flow, a dead Wi-Fi). Those connections stay dead; connections opened
 *    during the outage hang until `heal()`, then carry on, as retransmitted SYNs would.
 * Listens on 127.0.0.1 with an ephemeral port.
 */
export class FaultyProxy {
  readonly links = new Set<Link>();
  /** Connections accepted so far (a client that reconnects shows up here). */
  accepted = 0;
  private outage = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<FaultyProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    const proxy = new FaultyProxy(server, address.port);
    server.on('connection', (client) => proxy.accept(client, target));
    return proxy;
  }

  /** The relay URL to give clients: same scheme, the proxy's port. */
  url(relayUrl: string): string {
    const u = new URL(relayUrl);
    u.port = String(this.port);
    return u.toString().replace(/\/$/, '');
  }

  /** Cuts every live connection once `bytes` more bytes have gone `direction` ('down' = relay → client). */
  cutAfter(bytes: number, direction: Direction = 'down'): void {
    for (const link of this.links) if (link.state === 'live') link.budget[direction] = bytes;
  }

  /** Stops forwarding in both directions without closing anything. */
  blackhole(): void {
    this.outage = true;
    for (const link of this.links) if (link.state === 'live') link.state = 'dead';
  }

  /** The network is back: connections opened during the outage carry on, the dead ones stay dead, armed cuts are off. */
  heal(): void {
    this.outage = false;
    for (const link of this.links) {
      link.budget = { down: undefined, up: undefined };
      if (link.state !== 'held') continue;
      link.state = 'live';
      this.flush(link);
    }
  }

  async close(): Promise<void> {
    for (const link of this.links) this.destroy(link);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    this.accepted++;
    const upstream = connect(target.port, target.host);
    const link: Link = { client, upstream, state: this.outage ? 'held' : 'live', budget: { down: undefined, up: undefined }, pending: { down: [], up: [] } };
    this.links.add(link);
    client.on('data', (chunk: Buffer) => this.carry(link, 'up', chunk));
    upstream.on('data', (chunk: Buffer) => this.carry(link, 'down', chunk));
    // An orderly close passes through, unless the link is dead (then nobody hears of it).
    client.on('end', () => link.state === 'live' && upstream.end());
    upstream.on('end', () => link.state === 'live' && client.end());
    for (const s of [client, upstream]) {
      s.on('error', () => this.destroy(link));
      s.on('close', () => {
        if (link.state !== 'dead') this.destroy(link);
      });
    }
  }

  private carry(link: Link, direction: Direction, chunk: Buffer): void {
    if (link.state === 'dead') return;
    link.pending[direction].push(chunk);
    if (link.state === 'live') this.flush(link);
  }

  private flush(link: Link): void {
    for (const direction of ['up', 'down'] as const) {
      const to = direction === 'down' ? link.client : link.upstream;
      for (let chunk = link.pending[direction].shift(); chunk !== undefined; chunk = link.pending[direction].shift()) {
        const budget = link.budget[direction];
        if (budget !== undefined && chunk.length >= budget) {
          // Cut mid-stream: this much gets through, then both sockets go.
          if (budget > 0) to.write(chunk.subarray(0, budget));
          this.destroy(link);
          return;
        }
        if (budget !== undefined) link.budget[direction] = budget - chunk.length;
        to.write(chunk);
      }
    }
  }

  private destroy(link: Link): void {
    this.links.delete(link);
    link.state = 'dead';
    // Flush what was written, then reset: the client sees a truncated stream and a dropped connection.
    link.client.destroySoon();
    link.upstream.destroySoon();
    setTimeout(() => {
      link.client.destroy();
      link.upstream.destroy();
    }, 50).unref();
  }
}
