import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** Linux /proc readings of another process, and the relay's queue read straight from its database. */

/** The kernel's clock ticks per second for /proc/<pid>/stat times (USER_HZ; 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) of a process so far, ms. */
export function cpuMsOf(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** CPU time (user + system) of this process's main thread alone so far, ms (its other threads left out). */
export function mainThreadCpuMs(): number {
  return statCpuMs(`/proc/self/task/${process.pid}/stat`);
}

function statCpuMs(path: string): number {
  const stat = readFileSync(path, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** A field of /proc/<pid>/status in bytes (VmRSS, VmHWM, RssAnon …). */
export function statusBytes(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m?.[1]) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/**
 * Envelopes and shared group payloads still stored by the relay, read from its SQLite file (read-only,
 * a second connection: WAL lets it read while the relay writes). The relay's own word, not ours.
 */
export function queueRows(relayDataDir: string): { envelopes: number; sharedPayloads: number } {
  const db = new Database(join(relayDataDir, 'aviso.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const envelopes = (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
    const sharedPayloads = (db.prepare('SELECT count(*) AS n FROM shared_payloads').get() as { n: number }).n;
    return { envelopes, sharedPayloads };
  } finally {
    db.close();
  }
}

/** Polls `probe` every `everyMs` until it returns true; throws after `timeoutMs`. Resolves with hrtime at success. */
export async function until(probe: () => boolean, what: string, timeoutMs = 120_000, everyMs = 20): Promise<bigint> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (probe()) return process.hrtime.bigint();
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const nsToMs = (ns: bigint): number => Number(ns) / 1e6;

/**
 * Relay settings for benchmarks: every per-client limit lifted so the bench measures the relay's
 * work, not its abuse protection (a variable the relay does not know is ignored).
 */
export const BENCH_RELAY_ENV: Record<string, string> = {
  AVISO_LOG_LEVEL: 'warn',
  AVISO_MEMBER_TOKENS_PER_DAY: '100000',
  AVISO_SEND_RATE_CAPACITY: '100000',
  AVISO_KEYS_RATE_CAPACITY: '10000',
  AVISO_REGISTER_RATE_CAPACITY: '100000',
  AVISO_QUEUE_MAX_PER_DEVICE: '1000000',
  AVISO_MAX_CONNECTIONS: '100000',
  AVISO_WS_MAX_CONNECTIONS: '100000',
};
