import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { AvisoClient } from '@aviso/client';
import { ERROR_CODES, type ErrorCode } from '@aviso/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { AgentError } from '../errors.js';
import { LiveFeed, type FeedOptions } from '../live/feed.js';
import type { Profile } from '../profile.js';
import { connectAndDrain } from '../session.js';
import { activeGroups } from '../views/lookup.js';
import { AppApi } from './api.js';
import { LockGate } from './lock-gate.js';
import type { AppLock } from './lock.js';
import { APP_SUBPROTOCOL, MAX_BODY_BYTES, MAX_WS_FRAME_BYTES, bearer, hostAllowed, newSessionId, originAllowed, readAllowed, readCookie, securityHeaders, sessionCookie, sessionCookieName, tokenMatches } from './guard.js';
import { MemberApi } from './member-api.js';
import { OrganiserApi } from './organiser-api.js';
import { findRoute, type Apis } from './routes.js';

export interface AppServerOptions {
  /** The open client; or, for a passphrase-protected profile opened from the app's unlock screen, `lock`. */
  client?: AvisoClient | undefined;
  /** The profile's AppLock: the server starts locked and POST /api/unlock opens the client (docs/app.md). */
  lock?: AppLock | undefined;
  profile: Profile;
  /** The built app (packages/app/dist); without it the API still runs and `/` says the app is not built. */
  staticDir: string | undefined;
  /** 0 picks a free port. */
  port: number;
  /** A warning's code and message, in the front end's words (see LiveFeed). */
  describe: FeedOptions['describe'];
  /** An error thrown by an API call, as a stable code and one line (the CLI's error table). */
  explain(err: unknown): { code: string; message: string };
  /** Another device took this account: the app cannot go on. */
  onFatal(err: Error): void;
  connectTimeoutSeconds?: number;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
};

const STATUS: Record<string, number> = { LOCKED: 423, WIPED: 410, NOT_FOUND: 404, ALREADY_REGISTERED: 409, PROFILE_BUSY: 409, RELAY_DOWN: 503, RELAY_BAD_RESPONSE: 502, FINGERPRINT_MISMATCH: 409, METHOD_NOT_ALLOWED: 405, UNSUPPORTED_MEDIA_TYPE: 415 };

/**
 * The app's local channel: HTTP + WebSocket on 127.0.0.1 only, serving the built app and a small JSON
 * API over the member host's one client. The launch token (random, handed to the browser in the URL
 * fragment so it never reaches a log or a Referer) is exchanged once, at POST /api/session, for an
 * HttpOnly, SameSite=Strict session cookie; every other API call and the live socket need that
 * cookie. Host is checked against DNS rebinding and Origin against other pages (docs/app.md "Security").
 */
export class AppServer {
  readonly token = randomBytes(32).toString('hex');
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  #apis: Apis | undefined;
  #client: AvisoClient | undefined;
  readonly #gate: LockGate | undefined;
  /** The one session the launch token was exchanged for; undefined until then. Memory only. */
  #session: string | undefined;
  #tokenSpent = false;
  #port = 0;
  #feed: LiveFeed | undefined;
  #connected = false;

  constructor(private readonly options: AppServerOptions) {
    if (options.client) this.#open(options.client);
    if (options.lock) this.#gate = new LockGate(options.lock, options.profile, { opened: (client) => this.#unlocked(client), closed: () => this.#locked() });
    this.#http = createServer({ maxHeaderSize: 16 * 1024, requestTimeout: 30_000 }, (req, res) => void this.#handle(req, res));
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_WS_FRAME_BYTES,
      handleProtocols: (protocols) => (protocols.has(APP_SUBPROTOCOL) ? APP_SUBPROTOCOL : false),
    });
    this.#http.on('upgrade', (req, socket, head) => {
      const ok = req.url === '/api/live' && hostAllowed(req, this.#port) && originAllowed(req, this.#port) && this.#hasSession(req);
      if (!ok) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onSocket(ws));
    });
  }

  get port(): number {
    return this.#port;
  }

  /** The address to open: the token rides in the fragment, which browsers never send to a server. It works once. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}/#k=${this.token}`;
  }

  /** Listens on 127.0.0.1, then connects the profile (when registered) and starts the live feed. */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(this.options.port, '127.0.0.1', () => {
        this.#http.off('error', reject);
        resolve();
      });
    });
    this.#port = (this.#http.address() as AddressInfo).port;
    if (this.#client?.isRegistered) await this.#follow();
  }

  #open(client: AvisoClient): void {
    const follow = () => this.#follow();
    this.#client = client;
    this.#apis = { app: new AppApi(client, this.options.profile, follow, () => this.#feed), organiser: new OrganiserApi(client, this.options.profile, follow), member: new MemberApi(client) };
  }

  /** Unlocked from the app: the APIs over the new client, and the feed (connecting first, as at start). */
  async #unlocked(client: AvisoClient): Promise<void> {
    this.#open(client);
    this.#connected = false;
    if (client.isRegistered) await this.#follow();
  }

  /** Locked (the button, the idle time, a wipe): the client is closed; the page shows its unlock screen. */
  async #locked(): Promise<void> {
    this.#client = undefined;
    this.#apis = undefined;
    const feed = this.#feed;
    this.#feed = undefined;
    await feed?.close().catch(() => undefined);
    const line = JSON.stringify({ type: 'locked' });
    for (const ws of this.#wss.clients) if (ws.readyState === ws.OPEN) ws.send(line);
  }

  async stop(): Promise<void> {
    for (const ws of this.#wss.clients) ws.close(1001, 'closing');
    this.#wss.close();
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
    await this.#feed?.close();
    await this.#gate?.close();
  }

  /** (Re)starts the feed over every active group: after start, register and join. */
  async #follow(): Promise<void> {
    const client = this.#client;
    if (!client?.isRegistered) return;
    await this.#feed?.close();
    const feed = new LiveFeed(client, { describe: this.options.describe, onFatal: this.options.onFatal });
    this.#feed = feed;
    feed.on((event) => {
      // The sender's role goes with a live alert, so the page can show its card before GET /api/alerts.
      const role = event.type === 'alert' ? feed.people(String(event['groupId']))?.get(String(event['from']))?.role : undefined;
      const line = JSON.stringify(role === undefined ? event : { ...event, fromRole: role });
      for (const ws of this.#wss.clients) if (ws.readyState === ws.OPEN) ws.send(line);
    });
    if (this.#connected) {
      await feed.watch(await activeGroups(client));
    } else {
      await connectAndDrain(client, { ...(this.options.connectTimeoutSeconds ? { timeoutSeconds: this.options.connectTimeoutSeconds } : {}), prepare: async () => feed.watch(await activeGroups(client)) });
      this.#connected = true;
    }
    await feed.ready({ profile: this.options.profile.name });
  }

  #onSocket(ws: WebSocket): void {
    if (!this.#client) ws.send(JSON.stringify({ type: 'locked' }));
    else ws.send(JSON.stringify({ type: 'hello', connection: this.#feed?.connection ?? (this.#client.isRegistered ? 'connecting' : 'unregistered') }));
    ws.on('message', () => undefined); // the browser only listens
    ws.on('error', () => ws.terminate());
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    securityHeaders(res, this.#port);
    try {
      if (!hostAllowed(req, this.#port)) throw new AgentError('FORBIDDEN', 'this address is not allowed (Host)');
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/api/session') return await this.#exchange(req, res);
      if (path.startsWith('/api/')) return reply(res, 200, await this.#route(req, path));
      return await this.#serveStatic(req, res, path);
    } catch (err) {
      // Our own refusals keep their code; anything else is worded by the front end (the CLI's table).
      const own = err instanceof AgentError && (err.code in STATUS || err.code in ERROR_CODES);
      const { code, message } = own ? err : this.options.explain(err);
      const status = STATUS[code] ?? ERROR_CODES[code as ErrorCode]?.status ?? (code === 'INTERNAL' ? 500 : 422);
      reply(res, status, { error: { code, message } });
    }
  }

  async #route(req: IncomingMessage, path: string): Promise<unknown> {
    this.#authorize(req);
    const gate = this.#gate;
    if (gate?.wiped) throw new AgentError('WIPED', 'this profile was wiped: there is nothing left to open');
    if (req.method !== 'GET' && req.method !== 'POST') throw new AgentError('METHOD_NOT_ALLOWED', 'use GET or POST');
    // A state change from a page: only our own origin (a browser always sends Origin on POST).
    if (req.method === 'POST' && !originAllowed(req, this.#port)) throw new AgentError('FORBIDDEN', 'this origin is not allowed');
    const body = req.method === 'POST' ? await readJson(req) : {};
    const own = gate?.route(req.method, path);
    if (own) return own(body as Record<string, unknown>);
    const apis = this.#apis;
    if (!apis) {
      if (req.method === 'GET' && path === '/api/profile') return { type: 'profile', profile: this.options.profile.name, locked: true, lockable: true };
      throw new AgentError('LOCKED', 'the app is locked: unlock it with the passphrase first');
    }
    gate?.touch();
    const { route, params } = findRoute(req.method, path);
    const out = await route.run(apis, params, body);
    return req.method === 'GET' && path === '/api/profile' ? { ...(out as object), locked: false, lockable: gate !== undefined, idleMinutes: gate?.idleMinutes } : out;
  }

  /**
   * POST /api/session: the launch token (JSON `{ "token" }` or `Authorization: Bearer`), from our own
   * origin only, becomes the session cookie. Once: a second exchange, even with the right token, is
   * refused, so a token copied from a screen or a shell history is worth nothing after the first load.
   */
  async #exchange(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') throw new AgentError('METHOD_NOT_ALLOWED', 'use POST');
    if (!originAllowed(req, this.#port)) throw new AgentError('FORBIDDEN', 'this origin is not allowed');
    const body = await readJson(req);
    const presented = typeof body['token'] === 'string' ? body['token'] : bearer(req);
    if (this.#tokenSpent || !tokenMatches(presented, this.token)) throw new AgentError('UNAUTHORIZED', 'the launch token is wrong or already used: open the address `aviso app` printed, or restart it');
    this.#tokenSpent = true;
    this.#session = newSessionId();
    res.setHeader('Set-Cookie', sessionCookie(this.#port, this.#session));
    reply(res, 200, { type: 'session' });
  }

  #hasSession(req: IncomingMessage): boolean {
    return this.#session !== undefined && tokenMatches(readCookie(req, sessionCookieName(this.#port)), this.#session);
  }

  /** Every API call: the session cookie, and nothing from another origin (a page on another port is same-site). */
  #authorize(req: IncomingMessage): void {
    if (!this.#hasSession(req)) throw new AgentError('UNAUTHORIZED', 'no session: open the address `aviso app` printed');
    if (!readAllowed(req, this.#port)) throw new AgentError('FORBIDDEN', 'this origin is not allowed');
  }

  async #serveStatic(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new AgentError('METHOD_NOT_ALLOWED', 'use GET');
    const root = this.options.staticDir;
    if (!root) throw new AgentError('NOT_FOUND', 'the app is not built: run `pnpm --filter @aviso/app build`');
    const rel = path === '/' ? 'index.html' : decodeURIComponent(path).replace(/^\/+/, '');
    const file = normalize(join(root, rel));
    if (!file.startsWith(normalize(root) + sep)) throw new AgentError('NOT_FOUND', 'no such file');
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new AgentError('NOT_FOUND', 'no such file');
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': info.size });
    res.end(req.method === 'HEAD' ? undefined : await readFile(file));
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

/** The JSON body, at most MAX_BODY_BYTES, and only as application/json (no simple cross-site form posts). */
async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) throw new AgentError('UNSUPPORTED_MEDIA_TYPE', 'send application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new AgentError('PAYLOAD_TOO_LARGE', `the request is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  let v: unknown;
  try {
    v = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new AgentError('BAD_REQUEST', 'the body is not JSON', 2);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new AgentError('BAD_REQUEST', 'the body is not a JSON object', 2);
  return v as Record<string, unknown>;
}
