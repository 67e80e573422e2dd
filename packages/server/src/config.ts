import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config-error.js';

export { ConfigError } from './config-error.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const Env = z.object({
  AVISO_HOST: z.string().min(1).default('127.0.0.1'),
  AVISO_PORT: int(0, 65535).default(8080), // 0 = ephemeral, for tests
  AVISO_DATA_DIR: z.string().min(1).default('data'),
  AVISO_LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  AVISO_QUEUE_TTL_DAYS: int(1, 90).default(7),
  AVISO_QUEUE_MAX_PER_DEVICE: int(1, 1_000_000).default(10_000),
  AVISO_SENDER_CERT_TTL_HOURS: int(1, 24 * 7).default(24),
  AVISO_WS_PING_SECONDS: int(1, 3600).default(30),
  AVISO_KEYS_RATE_CAPACITY: int(1, 10_000).default(6),
  AVISO_KEYS_RATE_REFILL_SECONDS: int(1, 86_400).default(600),
  AVISO_KEYS_REQUESTER_RATE_CAPACITY: int(1, 100_000).default(30),
  AVISO_KEYS_REQUESTER_RATE_REFILL_SECONDS: int(1, 86_400).default(120),
  AVISO_SEND_RATE_CAPACITY: int(1, 100_000).default(60),
  AVISO_SEND_RATE_REFILL_SECONDS: int(1, 86_400).default(1),
  AVISO_MEMBER_TOKENS_PER_DAY: int(0, 100_000).default(20),
  AVISO_REGISTER_RATE_CAPACITY: int(1, 100_000).default(60),
  AVISO_REGISTER_RATE_REFILL_SECONDS: int(1, 86_400).default(10),
  // Sized for the plan's 10,000-member group with everyone online (about 5 KiB of relay memory per
  // idle WebSocket, docs/benchmarks.md); the process needs `ulimit -n` above AVISO_MAX_CONNECTIONS.
  AVISO_MAX_CONNECTIONS: int(1, 1_000_000).default(24_000),
  AVISO_WS_MAX_CONNECTIONS: int(1, 1_000_000).default(20_000),
  AVISO_WS_MAX_BUFFERED_KIB: int(1024, 1_048_576).default(16 * 1024),
  AVISO_HEADERS_TIMEOUT_SECONDS: int(1, 600).default(10),
  AVISO_REQUEST_TIMEOUT_SECONDS: int(1, 3600).default(60),
  AVISO_WAL_CHECKPOINT_SECONDS: int(1, 3600).default(10),
});

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** A token bucket: `capacity` requests at once, one more every `refillSeconds`. */
export interface RateLimitConfig {
  capacity: number;
  refillSeconds: number;
}

export interface Config {
  host: string;
  port: number;
  /** Absolute path of the folder holding the database and the relay keys. */
  dataDir: string;
  logLevel: LogLevel;
  queueTtlDays: number;
  queueMaxPerDevice: number;
  senderCertTtlHours: number;
  wsPingIntervalMs: number;
  /** Prekey bundle fetches, per (requesting account, target device). */
  keysRateLimit: RateLimitConfig;
  /**
   * Prekey bundle fetches with account credentials, per requesting account whatever the target: an
   * unknown account id costs the same as a real one, so probing which ids exist (and burning their
   * one-time prekeys) is bounded per account, not per guessed target.
   */
  keysRequesterRateLimit: RateLimitConfig;
  /** Sends, per (sending account, destination account). */
  sendRateLimit: RateLimitConfig;
  /** Registrations each account may enable per UTC day with member-minted tokens; 0 turns minting off. */
  memberTokensPerDay: number;
  /** Registration attempts, relay-wide (keyed by nothing, so the relay keeps no client address). */
  registerRateLimit: RateLimitConfig;
  /** Open TCP connections (HTTP and WebSocket); the kernel-accepted excess is closed at once. */
  maxConnections: number;
  /** Open WebSockets; an upgrade beyond it gets 429 RATE_LIMITED. */
  wsMaxConnections: number;
  /** Bytes queued on a socket that does not read; past it the socket is cut off. */
  wsMaxBufferedBytes: number;
  /** A client must finish sending its request headers within this (slowloris). */
  headersTimeoutMs: number;
  /** A client must finish sending its whole request within this (slow bodies). */
  requestTimeoutMs: number;
  /**
   * How often the WAL is checkpointed and truncated when anything was written: the bound on how long
   * deleted rows (a group send's recipient list, acknowledged envelopes) survive in the WAL file.
   */
  walCheckpointMs: number;
}

/**
 * Reads the relay's configuration from environment variables (all optional, all `AVISO_*`).
 * `AVISO_DATA_DIR` is resolved against `cwd`. Throws one ConfigError naming every bad variable.
 */
export function loadConfig(env: Record<string, string | undefined>, cwd: string = process.cwd()): Config {
  // Empty strings count as unset, as in most shells' `VAR= cmd`.
  const raw = Object.fromEntries(Object.keys(Env.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = Env.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}=${JSON.stringify(raw[String(issue.path[0])])}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  return {
    host: e.AVISO_HOST,
    port: e.AVISO_PORT,
    dataDir: resolve(cwd, e.AVISO_DATA_DIR),
    logLevel: e.AVISO_LOG_LEVEL,
    queueTtlDays: e.AVISO_QUEUE_TTL_DAYS,
    queueMaxPerDevice: e.AVISO_QUEUE_MAX_PER_DEVICE,
    senderCertTtlHours: e.AVISO_SENDER_CERT_TTL_HOURS,
    wsPingIntervalMs: e.AVISO_WS_PING_SECONDS * 1000,
    keysRateLimit: { capacity: e.AVISO_KEYS_RATE_CAPACITY, refillSeconds: e.AVISO_KEYS_RATE_REFILL_SECONDS },
    keysRequesterRateLimit: { capacity: e.AVISO_KEYS_REQUESTER_RATE_CAPACITY, refillSeconds: e.AVISO_KEYS_REQUESTER_RATE_REFILL_SECONDS },
    sendRateLimit: { capacity: e.AVISO_SEND_RATE_CAPACITY, refillSeconds: e.AVISO_SEND_RATE_REFILL_SECONDS },
    memberTokensPerDay: e.AVISO_MEMBER_TOKENS_PER_DAY,
    registerRateLimit: { capacity: e.AVISO_REGISTER_RATE_CAPACITY, refillSeconds: e.AVISO_REGISTER_RATE_REFILL_SECONDS },
    maxConnections: e.AVISO_MAX_CONNECTIONS,
    wsMaxConnections: e.AVISO_WS_MAX_CONNECTIONS,
    wsMaxBufferedBytes: e.AVISO_WS_MAX_BUFFERED_KIB * 1024,
    headersTimeoutMs: e.AVISO_HEADERS_TIMEOUT_SECONDS * 1000,
    requestTimeoutMs: Math.max(e.AVISO_REQUEST_TIMEOUT_SECONDS, e.AVISO_HEADERS_TIMEOUT_SECONDS) * 1000,
    walCheckpointMs: e.AVISO_WAL_CHECKPOINT_SECONDS * 1000,
  };
}
