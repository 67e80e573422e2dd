import { afterEach, beforeEach } from 'vitest';
import { ClientPool } from './clients.js';
import { RelayProcess } from './relay.js';

/**
 * Gives each test of the calling file a fresh relay process (own data folder) and a pool of SDK
 * clients, handed over through `use`, and tears both down after the test. A failing test prints
 * the relay's own log next to the failure.
 */
export function useRelay(use: (relay: RelayProcess, pool: ClientPool) => void, options: { env?: Record<string, string> } = {}): void {
  let relay: RelayProcess | undefined;
  let pool: ClientPool | undefined;
  beforeEach(async (ctx) => {
    const started = await RelayProcess.start(options.env ? { env: options.env } : {});
    relay = started;
    pool = new ClientPool();
    use(started, pool);
    ctx.onTestFailed(() => console.error(`--- relay log (${started.dataDir}) ---\n${started.log}`));
  });
  afterEach(async () => {
    await pool?.dispose();
    await relay?.dispose();
  });
}
