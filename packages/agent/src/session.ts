import { networkFailure, type AvisoClient, type Logger } from '@aviso/client';
import { ROUTES } from '@aviso/protocol';
import { AgentError } from './errors.js';

const HEALTH_TIMEOUT_MS = 5000;
export const DEFAULT_CONNECT_TIMEOUT_S = 60;

export interface ConnectOptions {
  /** How long the relay may take to deliver what waited for this device (AVISO_CONNECT_TIMEOUT). */
  timeoutSeconds?: number;
  /** Runs after the relay answered and before connecting: subscribe here to see the queued messages. */
  prepare?: (client: AvisoClient) => Promise<void>;
}

/**
 * Connects a registered client and waits until the relay's queue for it is drained, so what follows
 * sees fresh state. The SDK reconnects forever by design; a host serving one request should instead
 * say the relay is down, so the relay's health is asked first and the drain has a deadline.
 */
export async function connectAndDrain(client: AvisoClient, opts: ConnectOptions = {}): Promise<void> {
  const relayUrl = client.relayUrl; // throws NotRegisteredError for a fresh profile
  await checkRelay(relayUrl);
  await opts.prepare?.(client);
  const seconds = opts.timeoutSeconds || DEFAULT_CONNECT_TIMEOUT_S;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    const text = { key: 'cli.error.drainTimeout', params: { relay: relayUrl, seconds } };
    timer = setTimeout(() => reject(new AgentError('RELAY_DOWN', `the relay at ${relayUrl} did not deliver waiting messages within ${seconds} s — try again later`, undefined, undefined, text)), seconds * 1000);
  });
  try {
    await Promise.race([client.connect(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves when the relay answers its health route. TLS_UNTRUSTED when its certificate is not trusted
 * here (retrying will not help); RELAY_DOWN when refused, unreachable, cut off or slow.
 */
export async function checkRelay(relayUrl: string): Promise<void> {
  // A timer of our own, not AbortSignal.timeout: that one does not hold the event loop, and Node 20's
  // fetch can wait forever on a port that accepts and closes at once (the process then exits 13, silently).
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('no answer', 'TimeoutError')), HEALTH_TIMEOUT_MS);
  let failure: string | undefined;
  // For a front end that words it itself (AgentError.text): which failure, and its number.
  let words: Record<string, string | number> = { relay: relayUrl, failure: 'none' };
  try {
    const res = await fetch(new URL(ROUTES.health, relayUrl), { signal: controller.signal });
    if (res.ok) return;
    failure = `it answered HTTP ${res.status}`;
    words = { ...words, failure: 'status', status: res.status };
  } catch (err) {
    const why = networkFailure(err);
    if (why === 'tls-untrusted') {
      // Never suggest turning the check off: a relay with a certificate nobody vouches for is what an
      // attacker on the network would offer. Trusting an organisation's own authority is the way.
      throw new AgentError(
        'TLS_UNTRUSTED',
        `the relay at ${relayUrl} has a TLS certificate this machine does not trust, so nothing was sent — check the address; if your organisation runs its own certificate authority, start aviso with NODE_EXTRA_CA_CERTS=/path/to/its-ca.pem, otherwise ask the operator for a certificate from a public authority`,
        undefined,
        { cause: err },
        { key: 'cli.robust.tlsUntrusted', params: { relay: relayUrl } },
      );
    }
    if (why === 'timeout') {
      failure = `no answer within ${HEALTH_TIMEOUT_MS / 1000} s`;
      words = { ...words, failure: 'timeout', seconds: HEALTH_TIMEOUT_MS / 1000 };
    }
  } finally {
    clearTimeout(timer);
  }
  throw new AgentError('RELAY_DOWN', `cannot reach the relay at ${relayUrl}${failure ? ` (${failure})` : ''} — is it running and is the address right? try again later`, undefined, undefined, { key: 'cli.error.unreachable', params: words });
}

/** AVISO_DEBUG=1 shows the SDK's log (ids and counts only: the SDK never logs content). */
export function debugLogger(env: Record<string, string | undefined>, write: (line: string) => void): Logger | undefined {
  if (!env['AVISO_DEBUG']) return undefined;
  const log = (level: string) => (obj: Record<string, unknown>, msg?: string) => write(`aviso[${level}] ${msg ?? ''} ${JSON.stringify(obj)}`);
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
