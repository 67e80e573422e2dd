import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config-error.js';

export { ConfigError } from './config-error.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * What an operator reads about a setting. The settings table in docs/operating.md and the
 * environment list of `aviso-relay --help` are generated from these and the schema
 * (scripts/settings-table.ts); a test fails when either drifts.
 */
export interface SettingDoc {
  /** One line for `aviso-relay --help`. */
  help: string;
  /** The Meaning column of docs/operating.md (Markdown). */
  doc: string;
  /** The Allowed column, where the schema cannot say it (a free-form string). */
  allowed?: string;
  /** The Default column of a setting with no default. */
  unset?: string;
}

export const settingDocs = z.registry<SettingDoc>();

const Env = z.object({
  AVISO_HOST: z.string().min(1).default('127.0.0.1').register(settingDocs, {
    help: 'address to listen on',
    doc: 'where to listen. Keep the default and put a TLS proxy in front (below)',
    allowed: 'an address',
  }),
  AVISO_PORT: int(0, 65535).default(8080).register(settingDocs, {
    help: 'port to listen on (0 = any free port)',
    doc: 'port to listen on; `0` picks a free one',
  }), // 0 = ephemeral, for tests
  AVISO_DATA_DIR: z.string().min(1).default('data').register(settingDocs, {
    help: 'data folder (database and relay keys); npm runs from the repository root',
    doc: 'database and relay keys (relative: from the repository root). Created with mode 0700',
    allowed: 'a folder',
  }),
  AVISO_LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info').register(settingDocs, {
    help: 'error, warn, info or debug',
    doc: 'how much to log',
  }),
  AVISO_QUEUE_TTL_DAYS: int(1, 90).default(7).register(settingDocs, {
    help: 'days an undelivered envelope is kept (1-90)',
    doc: 'days an undelivered envelope is kept, then deleted',
  }),
  AVISO_QUEUE_MAX_PER_DEVICE: int(1, 1_000_000).default(10_000).register(settingDocs, {
    help: 'queued envelopes per device; the oldest are dropped beyond it',
    doc: 'envelopes queued for one device; beyond it the oldest are dropped and the device is told',
  }),
  AVISO_SENDER_CERT_TTL_HOURS: int(1, 24 * 7).default(24).register(settingDocs, {
    help: 'lifetime of sender certificates (1-168)',
    doc: 'lifetime of the sender certificates the relay signs',
  }),
  AVISO_WS_PING_SECONDS: int(1, 3600).default(30).register(settingDocs, {
    help: 'WebSocket keepalive interval',
    doc: 'WebSocket keepalive; dead connections are dropped after a missed ping',
  }),
  AVISO_KEYS_RATE_CAPACITY: int(1, 10_000).default(6).register(settingDocs, {
    help: 'prekey fetches per requester and device, at once',
    doc: 'prekey fetches one account may make for one device at once…',
  }),
  AVISO_KEYS_RATE_REFILL_SECONDS: int(1, 86_400).default(600).register(settingDocs, {
    help: 'one more prekey fetch every N seconds',
    doc: '…and one more every this many seconds',
  }),
  AVISO_KEYS_REQUESTER_RATE_CAPACITY: int(1, 100_000).default(30).register(settingDocs, {
    help: 'prekey fetches per requester, any targets, at once',
    doc: 'prekey fetches one account may make at once whatever the targets, unknown account ids included (bounds probing which ids exist, and the one-time prekeys that burns)…',
  }),
  AVISO_KEYS_REQUESTER_RATE_REFILL_SECONDS: int(1, 86_400).default(120).register(settingDocs, {
    help: 'one more of those every N seconds',
    doc: '…and one more every this many seconds',
  }),
  AVISO_KEYS_GROUP_RATE_CAPACITY: int(1, 100_000).default(200).register(settingDocs, {
    help: 'prekey fetches of one account through group send tokens, at once',
    doc: 'prekey fetches of one account through group send tokens, by every member of every group together (the relay cannot tell who holds a token, and a group shares one token per member): enough for every active sender in a raid to reach a newcomer once…',
  }),
  AVISO_KEYS_GROUP_RATE_REFILL_SECONDS: int(1, 86_400).default(6).register(settingDocs, {
    help: 'one more of those every N seconds',
    doc: '…and one more every this many seconds',
  }),
  AVISO_SEND_RATE_CAPACITY: int(1, 100_000).default(60).register(settingDocs, {
    help: 'sends per sender and destination, at once',
    doc: 'sends from one account to one destination at once…',
  }),
  AVISO_SEND_RATE_REFILL_SECONDS: int(1, 86_400).default(1).register(settingDocs, {
    help: 'one more send every N seconds',
    doc: '…and one more every this many seconds',
  }),
  AVISO_MEMBER_TOKENS_PER_DAY: int(0, 100_000).default(20).register(settingDocs, {
    help: 'registrations each member may enable per day (0 = off)',
    doc: 'registrations each member may enable per day for their invites; `0` lets only you create tokens',
  }),
  AVISO_REGISTER_RATE_CAPACITY: int(1, 100_000).default(60).register(settingDocs, {
    help: 'registrations relay-wide, at once',
    doc: 'registrations relay-wide at once (no per-address limit: the relay keeps no addresses)…',
  }),
  AVISO_REGISTER_RATE_REFILL_SECONDS: int(1, 86_400).default(10).register(settingDocs, {
    help: 'one more registration every N seconds',
    doc: '…and one more every this many seconds',
  }),
  // Sized for the plan's 10,000-member group with everyone online (about 5 KiB of relay memory per
  // idle WebSocket, docs/benchmarks.md); the process needs `ulimit -n` above AVISO_MAX_CONNECTIONS.
  AVISO_MAX_CONNECTIONS: int(1, 1_000_000).default(24_000).register(settingDocs, {
    help: 'open TCP connections',
    doc: "open TCP connections, HTTP and WebSocket (the relay's `ulimit -n` must be higher)",
  }),
  AVISO_WS_MAX_CONNECTIONS: int(1, 1_000_000).default(20_000).register(settingDocs, {
    help: 'open WebSockets',
    doc: 'open WebSockets; more are refused with 429',
  }),
  AVISO_WS_MAX_BUFFERED_KIB: int(1024, 1_048_576).default(16 * 1024).register(settingDocs, {
    help: 'KiB queued to a socket that does not read before it is cut off',
    doc: 'KiB waiting on a socket that does not read before it is cut off',
  }),
  AVISO_HEADERS_TIMEOUT_SECONDS: int(1, 600).default(10).register(settingDocs, {
    help: 'time a client has to send its request headers',
    doc: 'time a client has to send its request headers',
  }),
  AVISO_REQUEST_TIMEOUT_SECONDS: int(1, 3600).default(60).register(settingDocs, {
    help: 'time a client has to send its whole request',
    doc: 'time a client has to send a whole request (at least the headers timeout)',
  }),
  AVISO_WAL_CHECKPOINT_SECONDS: int(1, 3600).default(10).register(settingDocs, {
    help: 'deleted rows leave the write-ahead log within N seconds',
    doc: 'how often the relay folds its write-ahead log into the database and empties it, when anything was written: what a deletion leaves in `aviso.sqlite-wal` (a group send\'s recipient list, acknowledged envelopes) is gone within this many seconds',
  }),
  AVISO_METRICS_PORT: int(0, 65535).optional().register(settingDocs, {
    help: 'serve Prometheus metrics on this port (unset = off; 0 = any free port)',
    doc: 'serve [Prometheus metrics](#prometheus-metrics) at `/metrics` on this port, apart from the relay\'s own port; `0` picks a free one',
    unset: 'unset (off)',
  }),
  AVISO_METRICS_HOST: z.string().min(1).default('127.0.0.1').register(settingDocs, {
    help: 'address the metrics port listens on',
    doc: 'where the metrics port listens. Keep the default unless the scraper runs on another machine (the metrics carry no ids, but they are not for the public)',
    allowed: 'an address',
  }),
});

/** The schema every `AVISO_*` setting is read with: the settings table and the typo check read its keys. */
export const SettingsSchema = Env;

/** The names of every relay setting. */
export const SETTING_NAMES: readonly string[] = Object.keys(Env.shape);

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
  /**
   * Prekey bundle fetches through group send tokens (single and batched together), per target
   * account. Every member of a group shows the same token for a given member, so this bucket is
   * the whole group's: it must let every active sender reach a newcomer.
   */
  keysGroupRateLimit: RateLimitConfig;
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
  /** The Prometheus endpoint's own listener; absent: no metrics are served (nothing listens). */
  metrics?: { host: string; port: number };
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
    keysGroupRateLimit: { capacity: e.AVISO_KEYS_GROUP_RATE_CAPACITY, refillSeconds: e.AVISO_KEYS_GROUP_RATE_REFILL_SECONDS },
    sendRateLimit: { capacity: e.AVISO_SEND_RATE_CAPACITY, refillSeconds: e.AVISO_SEND_RATE_REFILL_SECONDS },
    memberTokensPerDay: e.AVISO_MEMBER_TOKENS_PER_DAY,
    registerRateLimit: { capacity: e.AVISO_REGISTER_RATE_CAPACITY, refillSeconds: e.AVISO_REGISTER_RATE_REFILL_SECONDS },
    maxConnections: e.AVISO_MAX_CONNECTIONS,
    wsMaxConnections: e.AVISO_WS_MAX_CONNECTIONS,
    wsMaxBufferedBytes: e.AVISO_WS_MAX_BUFFERED_KIB * 1024,
    headersTimeoutMs: e.AVISO_HEADERS_TIMEOUT_SECONDS * 1000,
    requestTimeoutMs: Math.max(e.AVISO_REQUEST_TIMEOUT_SECONDS, e.AVISO_HEADERS_TIMEOUT_SECONDS) * 1000,
    walCheckpointMs: e.AVISO_WAL_CHECKPOINT_SECONDS * 1000,
    ...(e.AVISO_METRICS_PORT === undefined ? {} : { metrics: { host: e.AVISO_METRICS_HOST, port: e.AVISO_METRICS_PORT } }),
  };
}
