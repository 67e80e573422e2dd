import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The WebSocket subprotocol the app speaks; the launch token rides as a second one, `k.<token>`. */
export const APP_SUBPROTOCOL = 'aviso.app.v1';
export const TOKEN_SUBPROTOCOL_PREFIX = 'k.';

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

/** Constant-time comparison of a presented token with the launch token. */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(token, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token of an API call: `Authorization: Bearer <token>`. */
export function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
}

/** The token of a WebSocket upgrade: the `k.<token>` subprotocol (a browser cannot set headers there). */
export function subprotocolToken(protocols: ReadonlySet<string>): string | undefined {
  for (const p of protocols) if (p.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return p.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
  return undefined;
}
