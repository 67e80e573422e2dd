import type { Config } from './config.js';
import { childLogger } from './logger.js';
import { startServer, type ServerHandle } from './server.js';

/**
 * Signals that arrive this soon after the first are the same stop request, not a second one: under
 * `npm start` the terminal's Ctrl-C reaches the relay directly and again through each npm process,
 * which forwards SIGINT and SIGTERM to its child. Without the window that echo would cut every
 * clean shutdown short.
 */
export const REPEATED_SIGNAL_MS = 1000;

/** The line the relay logs once the database is closed after a stop signal (tests and operators look for it). */
export const STOPPED_CLEANLY = 'relay stopped cleanly: connections closed, database checkpointed and closed';

/**
 * Runs the relay as a process: listens, then shuts down gracefully on SIGINT/SIGTERM (a second
 * signal, later than REPEATED_SIGNAL_MS, exits at once). Sends are synchronous SQLite transactions,
 * so a request in flight at shutdown has either committed or failed before the database closes:
 * nothing stored is lost.
 */
export async function runRelay(config: Config): Promise<ServerHandle> {
  const handle = await startServer(config);
  const log = childLogger(handle.context.logger, 'aviso:http');
  let stoppingSince: number | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    if (stoppingSince !== undefined) {
      if (performance.now() - stoppingSince < REPEATED_SIGNAL_MS) return;
      log.warn({ signal }, 'second signal: exiting without a clean shutdown');
      process.exit(1);
    }
    stoppingSince = performance.now();
    log.info({ signal }, 'shutting down');
    handle.close().then(
      () => {
        log.info(STOPPED_CLEANLY);
        process.exit(0);
      },
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
