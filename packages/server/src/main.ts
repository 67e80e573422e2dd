import type { Config } from './config.js';
import { childLogger } from './logger.js';
import { startServer, type ServerHandle } from './server.js';

/**
 * Runs the relay as a process: listens, then shuts down gracefully on SIGINT/SIGTERM (a second
 * signal exits at once). Sends are synchronous SQLite transactions, so a request in flight at
 * shutdown has either committed or failed before the database closes: nothing stored is lost.
 */
export async function runRelay(config: Config): Promise<ServerHandle> {
  const handle = await startServer(config);
  const log = childLogger(handle.context.logger, 'aviso:http');
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without a clean shutdown');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    handle.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return handle;
}
