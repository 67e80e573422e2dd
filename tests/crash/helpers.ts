import { RelayRequestError, type AvisoClient, type AvisoClientOptions, type Group } from '@aviso/client';
import type { ClientPool } from '../support/clients.js';
import type { RelayProcess } from '../support/relay.js';

/** Relay settings for fault tests: the workload is bursty on purpose, so rate limits stay out of the way. */
export const RELAY_ENV = {
  AVISO_SEND_RATE_CAPACITY: '100000',
  AVISO_KEYS_RATE_CAPACITY: '10000',
  AVISO_WS_PING_SECONDS: '2',
};

/** Reconnect fast (the relay comes back within a second or two) and notice a dead link quickly. */
export const CLIENT_OPTIONS: Omit<AvisoClientOptions, 'dataDir'> = {
  connection: { backoff: { initialMs: 50, maxMs: 500 }, keepalive: { intervalMs: 1_000, timeoutMs: 3_000 } },
  requestTimeoutMs: 5_000,
  groupSyncIntervalMs: 0,
};

export interface Member {
  name: string;
  client: AvisoClient;
  group: Group;
  dir: string;
}

/** An admin and `n` members who joined by invite; nobody is connected yet. */
export async function groupOf(relay: RelayProcess, pool: ClientPool, n: number, options = CLIENT_OPTIONS): Promise<Member[]> {
  const adminDir = pool.newDataDir('admin');
  const admin = await pool.open(adminDir, options);
  await admin.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
  const group = await admin.createGroup({ title: 'Eastside rapid response', displayName: 'm0' });
  const code = await group.createInvite({ expiresInSeconds: 3600, maxUses: n, requireApproval: false });
  const members: Member[] = [{ name: 'm0', client: admin, group, dir: adminDir }];
  for (let i = 1; i <= n; i++) {
    const dir = pool.newDataDir(`m${i}`);
    const client = await pool.open(dir, options);
    members.push({ name: `m${i}`, client, group: await client.join(code, { displayName: `m${i}` }), dir });
  }
  for (const m of members) await m.group.sync();
  return members;
}

/** What a member's application saw, keyed by the unique tag each test message carries. */
export class Seen {
  readonly counts = new Map<string, number>();
  readonly rejected: string[] = [];
  readonly errors: Error[] = [];

  constructor(client: AvisoClient) {
    const add = (key: string) => this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    client.on('direct', (m) => add(m.text));
    client.on('alert', (a) => add(a.title));
    client.on('ack', (a) => add(ackKey(a.from, a.alertId)));
    client.on('rejected', (r) => this.rejected.push(`${r.reason}: ${r.error.message}`));
    client.on('error', (e) => this.errors.push(e));
  }

  has(key: string): boolean {
    return this.counts.has(key);
  }

  duplicates(): string[] {
    return [...this.counts].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);
  }

  /** Errors other than the relay being unreachable or failing a request it says may be retried. */
  unexpectedErrors(): string[] {
    return this.errors.filter((e) => !(e instanceof RelayRequestError && e.retryable)).map((e) => `${e.name}: ${e.message}`);
  }
}

export const ackKey = (from: string, alertId: string): string => `ack|${from}|${alertId}`;

/** Whether a send failed only because the relay went away or refused for now (the test then counts it as unacknowledged). */
export function isTransient(err: unknown): boolean {
  return err instanceof RelayRequestError && err.retryable;
}

export async function until(check: () => boolean, what: () => string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await sleep(50);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A small seeded generator, so a failing run can be replayed from the seed it prints. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

export const between = (random: () => number, lo: number, hi: number): number => Math.round(lo + random() * (hi - lo));
