import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP server on 127.0.0.1 that answers `GET /health` like a relay and `GET <prefix>/v1/relay`
 * with something no relay sends; the relay address `url(kind)` picks which (`<prefix>` = the kind).
 */
export const HOSTILE_ANSWERS = {
  /** An HTML page: someone's web server, a captive portal. */
  html: { type: 'text/html', body: '<!doctype html><title>Sign in</title><script>alert(1)</script>' },
  /** Relay info with a 32-byte trust root (one byte short of a serialized key). */
  'short-key': { type: 'application/json', body: relayInfo(Buffer.alloc(32, 7)) },
  /** 33 bytes that are no public key (0x07 is not libsignal's key type byte). */
  'not-a-key': { type: 'application/json', body: relayInfo(Buffer.concat([Buffer.from([7]), Buffer.alloc(32, 9)])) },
  /** The trust root as a number, and the rest missing. */
  'wrong-shape': { type: 'application/json', body: JSON.stringify({ protocolVersion: 2, trustRoot: 5 }) },
} as const;
export type HostileKind = keyof typeof HOSTILE_ANSWERS;

/** The address whose GET /v1/relay never ends: JSON-looking spaces, as fast as they are read. */
export const ENDLESS = 'endless';

function endless(req: IncomingMessage, res: ServerResponse): void {
  let closed = false;
  req.socket.once('close', () => (closed = true));
  const chunk = Buffer.alloc(1 << 20, 0x20);
  res.writeHead(200, { 'content-type': 'application/json' });
  const pump = (): void => {
    while (!closed && res.write(chunk));
    if (!closed) res.once('drain', pump);
  };
  pump();
}

function relayInfo(trustRoot: Buffer): string {
  const limits = { maxEnvelopeBytes: 1, maxDevicesPerAccount: 1, maxPreKeysPerUpload: 1, maxFrameBytes: 1, maxBodyBytes: 1, queueMaxPerDevice: 1, queueTtlSeconds: 1, senderCertificateTtlSeconds: 1 };
  return JSON.stringify({ protocolVersion: 2, trustRoot: trustRoot.toString('base64'), zkgroupPublicParams: Buffer.alloc(64, 1).toString('base64'), limits });
}

export class HostileRelay {
  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(): Promise<HostileRelay> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/health') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      if (path === `/${ENDLESS}/v1/relay`) return endless(req, res);
      const kind = /^\/([a-z-]+)\/v1\/relay$/.exec(path)?.[1];
      const answer = kind !== undefined && kind in HOSTILE_ANSWERS ? HOSTILE_ANSWERS[kind as HostileKind] : undefined;
      if (!answer) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': answer.type }).end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new HostileRelay(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  /** The "relay address" whose GET /v1/relay gives this answer. */
  url(kind: HostileKind | typeof ENDLESS): string {
    return `${this.origin}/${kind}`;
  }

  async dispose(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
