import { connect, type Socket } from 'node:net';
import { summary, type LegitPair } from '../support/legit-pair.js';
import type { RelayProcess } from '../support/relay.js';

/**
 * Shared by the abuse suites: a legit pair exchanging messages in the background while an attack
 * runs, with its latencies printed next to the pair's baseline (printed, never asserted: the
 * machine is shared and timing is not what these tests prove).
 */
export class LatencyReport {
  private readonly rows: string[] = [];
  add(what: string, ms: readonly number[]): void {
    this.rows.push(`  ${what.padEnd(58)} ${summary(ms)}`);
  }
  print(title: string): void {
    console.log(`${title}: legit pair delivery latency\n${this.rows.join('\n')}`);
  }
}

/**
 * Runs `attack` while the pair keeps exchanging one message after another; resolves with the
 * pair's latencies during the attack (at least `min` exchanges, so there is something to compare).
 */
export async function duringAttack<T>(pair: LegitPair, attack: () => Promise<T>, min = 5): Promise<{ result: T; latencies: number[] }> {
  const latencies: number[] = [];
  let done = false;
  const background = (async () => {
    while (!done || latencies.length < min) latencies.push(await pair.exchange());
  })();
  try {
    const result = await attack();
    return { result, latencies };
  } finally {
    done = true;
    await background;
  }
}

/** A raw TCP connection to the relay, resolved once connected. */
export function rawSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: hostname, port: Number(port) }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves when `socket` has been closed (by either side), or rejects after `timeoutMs`. */
export function closed(socket: Socket, timeoutMs = 60_000): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    // Whatever the relay writes (an error response) is read and dropped, so 'close' can fire.
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
  });
}

/** Waits until the relay process has logged `pattern` (its log is its stdout and stderr). */
export async function logged(relay: RelayProcess, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(relay.log)) {
    if (Date.now() > deadline) throw new Error(`relay never logged ${pattern}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
