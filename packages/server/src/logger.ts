import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

/** Subsystem names used for child loggers (`name` field of every line). */
export type LoggerName = 'aviso:http' | 'aviso:ws' | 'aviso:keys' | 'aviso:queue' | 'aviso:group-send' | 'aviso:db' | 'aviso:metrics';

/**
 * The relay's root logger. Lines go to stderr (stdout is kept for the CLI's own output).
 * Metadata is the risk for our users: callers log opaque ids and counts only, never IP addresses,
 * bodies, ciphertext, keys or passwords. Authorization headers are redacted as a second line of defence.
 */
export function createLogger(level: LogLevel, destination: DestinationStream = pino.destination(2)): Logger {
  return pino(
    {
      level,
      base: null,
      serializers: {
        // Method and route pattern only: never the URL (key fetches carry account ids), headers or socket (IP).
        req: (req: { method?: string; routeOptions?: { url?: string } }) => ({ method: req.method, route: req.routeOptions?.url }),
        err: pino.stdSerializers.err,
      },
      redact: {
        paths: [
          'req.headers.authorization',
          'headers.authorization',
          'authorization',
          '*.password',
          'password',
          'headers["aviso-group-send-token"]',
          'req.headers["aviso-group-send-token"]',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export function childLogger(parent: Logger, name: LoggerName): Logger {
  return parent.child({ name });
}
