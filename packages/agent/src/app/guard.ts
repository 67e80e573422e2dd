import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The WebSocket subprotocol the app speaks. */
export const APP_SUBPROTOCOL = 'aviso.app.v1';
/**
 * @deprecated The launch token no longer rides as a `k.<token>` subprotocol: the socket needs the
 * session cookie. Kept so the export does not vanish; a socket offering it is refused like any other.
 */
export const TOKEN_SUBPROTOCOL_PREFIX = 'k.';

/**
 * Cookies are scoped by host, not port: two profiles' apps on one machine (127.0.0.1:A and :B) both
 * receive each other's cookies. The port in the name keeps them apart; only ours is read.
 */
export const SESSION_COOKIE_PREFIX = 'aviso_app_';
export function sessionCookieName(port: number): string {
  return `${SESSION_COOKIE_PREFIX}${port}`;
}

/** A fresh session id: 32 random bytes, hex. */
export function newSessionId(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The Set-Cookie value of a session: HttpOnly (no script, ours or injected, can read it),
 * SameSite=Strict (no other site's page makes the browser send it), Path=/, and no Max-Age, so it
 * dies with the browser session and with this process (sessions live in memory only).
 */
export function sessionCookie(port: number, id: string): string {
  return `${sessionCookieName(port)}=${id}; HttpOnly; SameSite=Strict; Path=/`;
}

/** The value of cookie `name` in the request, if present exactly once (a duplicate is refused). */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const found: string[] = [];
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) found.push(part.slice(eq + 1).trim());
  }
  return found.length === 1 ? found[0] : undefined;
}

/** Largest JSON body the API reads (an alert is ~3 KiB at its limits); larger ones get PAYLOAD_TOO_LARGE. */
export const MAX_BODY_BYTES = 16 * 1024;
/** Largest WebSocket frame accepted from the browser: it sends nothing but pings. */
export const MAX_WS_FRAME_BYTES = 1024;

/**
 * Strict CSP: only our own bundled files run; no inline script or style, nothing remote, no frames.
 * connect-src names the WebSocket explicitly (older engines do not let 'self' cover ws:).
 */
export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(res: ServerResponse, port: number): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy(port));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/**
 * A page on another site can reach 127.0.0.1 through a DNS name it controls (DNS rebinding): its
 * requests then carry that name as Host. Only our own two names pass.
 */
export function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host;
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/** A browser always sends Origin on POST and WebSocket; another site's page sends its own. */
export function originAllowed(req: IncomingMessage, port: number): boolean {
  const origin = req.headers.origin;
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

/**
 * For a read (GET): no Origin (a same-origin GET sends none) or ours, and, where the browser says
 * where the request comes from (Sec-Fetch-Site), our own origin. A page on another port of this
 * machine is same-site, so SameSite=Strict alone would let its fetch carry our cookie.
 */
export function readAllowed(req: IncomingMessage, port: number): boolean {
  if (req.headers.origin !== undefined && !originAllowed(req, port)) return false;
  const site = req.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin';
}

/** Constant-time comparison of a presented token with the launch token. */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(token, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The launch token offered to the exchange as `Authorization: Bearer <token>`. */
export function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
}
