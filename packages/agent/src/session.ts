import type { AvisoClient, Logger } from '@aviso/client';
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
    timer = setTimeout(() => reject(new AgentError('RELAY_DOWN', `the relay at ${relayUrl} did not deliver waiting messages within ${seconds} s — try again later`)), seconds * 1000);
  });
  try {
    await Promise.race([client.connect(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves when the relay answers its health route; RELAY_DOWN when refused, unreachable or slow. */
export async function checkRelay(relayUrl: string): Promise<void> {
  try {
    const res = await fetch(new URL(ROUTES.health, relayUrl), { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    if (res.ok) return;
  } catch {
    // fall through: refused, unreachable, timed out
  }
  throw new AgentError('RELAY_DOWN', `cannot reach the relay at ${relayUrl} — is it running and is the address right? try again later`);
}

/** AVISO_DEBUG=1 shows the SDK's log (ids and counts only: the SDK never logs content). */
export function debugLogger(env: Record<string, string | undefined>, write: (line: string) => void): Logger | undefined {
  if (!env['AVISO_DEBUG']) return undefined;
  const log = (level: string) => (obj: Record<string, unknown>, msg?: string) => write(`aviso[${level}] ${msg ?? ''} ${JSON.stringify(obj)}`);
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
