import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AvisoClient, type AvisoClientEvents, type AvisoClientOptions } from '@aviso/client';
import type { RelayProcess } from './relay.js';

/** Real SDK clients with SQLite stores in temporary folders, closed and removed by `dispose()`. */
export class ClientPool {
  private readonly clients: AvisoClient[] = [];
  private readonly dirs: string[] = [];

  /** A folder for one member's client state; reopening the same folder reopens the same identity. */
  newDataDir(name: string): string {
    const dir = mkdtempSync(join(tmpdir(), `aviso-${name}-`));
    this.dirs.push(dir);
    return dir;
  }

  async open(dataDir: string, options: Omit<AvisoClientOptions, 'dataDir'> = {}): Promise<AvisoClient> {
    const client = await AvisoClient.open({ ...options, dataDir });
    this.clients.push(client);
    return client;
  }

  /** Opens a fresh client and registers it with a token made by the relay's CLI. */
  async registered(relay: RelayProcess, name: string, token?: string): Promise<AvisoClient> {
    const client = await this.open(this.newDataDir(name));
    await client.register({ relayUrl: relay.url, registrationToken: token ?? (await relay.createToken()) });
    return client;
  }

  async dispose(): Promise<void> {
    await Promise.allSettled(this.clients.map((c) => c.close()));
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** Resolves with the next event of `name` that matches, or rejects after `ms`. */
export function nextEvent<K extends keyof AvisoClientEvents>(
  client: AvisoClient,
  name: K,
  match: (value: AvisoClientEvents[K]) => boolean = () => true,
  ms = 10_000,
): Promise<AvisoClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(name, on);
      reject(new Error(`no '${String(name)}' event within ${ms} ms`));
    }, ms);
    const on = (value: AvisoClientEvents[K]) => {
      if (!match(value)) return;
      clearTimeout(timer);
      client.off(name, on);
      resolve(value);
    };
    client.on(name, on);
  });
}

/** Collects every event of `name` until read. */
export function collect<K extends keyof AvisoClientEvents>(client: AvisoClient, name: K): AvisoClientEvents[K][] {
  const seen: AvisoClientEvents[K][] = [];
  client.on(name, (v) => seen.push(v));
  return seen;
}
