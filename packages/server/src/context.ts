import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { RelayInfo } from '@aviso/protocol';
import type { Config } from './config.js';
import type { StorageBackend } from './ports/storage.js';
import { childLogger, createLogger } from './logger.js';
import { loadOrCreateRelayKeys, type RelayKeys } from './relay-keys.js';
import { AccountsService } from './services/accounts/accounts.js';
import { CertificatesService } from './services/accounts/certificates.js';
import { systemClock, type Clock } from './services/shared/clock.js';
import { EndorsementsService } from './services/groups/endorsements.js';
import { GroupAuthService } from './services/groups/group-auth.js';
import { GroupSendTokens } from './services/groups/group-send-tokens.js';
import { ZkWorkers } from './services/groups/zk-workers.js';
import { GroupSendService } from './services/groups/group-send.js';
import { GroupsService } from './services/groups/groups.js';
import { MemberTokensService } from './services/accounts/member-tokens.js';
import { LIVE_ENVELOPE_MAX_MS, MessagesService } from './services/delivery/delivery.js';
import { MessageNotifier } from './services/delivery/notifier.js';
import { PreKeysService } from './services/accounts/prekeys.js';
import { createRelayMetrics, type RelayMetrics } from './metrics/prometheus.js';
import { noMeter, type RelayMeter } from './services/shared/meter.js';
import { RateLimiter } from './services/shared/rate-limit.js';
import { relayInfo } from './services/shared/relay-info.js';
import { TokensService, type CreatedToken } from './services/accounts/tokens.js';
import { openSqliteBackend, type SqliteBackend } from './storage/sqlite/backend.js';

export const DATABASE_FILE = 'aviso.sqlite';

/** How often expired envelopes are swept (also once at start). */
const DEFAULT_SWEEP_INTERVAL_MS = 10 * 60_000;

export interface Services {
  accounts: AccountsService;
  prekeys: PreKeysService;
  certificates: CertificatesService;
  messages: MessagesService;
  tokens: TokensService;
  memberTokens: MemberTokensService;
  groupAuth: GroupAuthService;
  groups: GroupsService;
  groupSendTokens: GroupSendTokens;
  endorsements: EndorsementsService;
  groupSend: GroupSendService;
  notifier: MessageNotifier;
}

/** Everything a relay process holds: config, storage, keys and services. */
export interface AppContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly keys: RelayKeys;
  readonly relayInfo: RelayInfo;
  readonly services: Services;
  /** The relay's one open database: the stores the services were built on. */
  readonly storage: SqliteBackend;
  /** What the relay counts; a no-op unless metrics are on. */
  readonly meter: RelayMeter;
  /** The Prometheus registry, when AVISO_METRICS_PORT is set (startServer serves it). */
  readonly metrics: RelayMetrics | undefined;
  /** Stops the expiry sweep, checkpoints the WAL and closes the database. Idempotent. */
  close(): void;
}

export interface ContextOverrides {
  logger?: Logger;
  clock?: Clock;
  /** 0 disables the periodic sweep (the start-up sweep still runs). */
  sweepIntervalMs?: number;
}

/**
 * The composition root: data folder (created 0700) → storage backend (database, migrations, stores)
 * → relay keys → services. Tests override only the clock and logger.
 */
export function createContext(config: Config, overrides: ContextOverrides = {}): AppContext {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? systemClock;
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });

  const storage = openSqliteBackend(join(config.dataDir, DATABASE_FILE));
  logMigrations(storage, logger);
  const metrics = config.metrics === undefined ? undefined : createRelayMetrics();
  metrics?.watchTotals(() => storage.counts(clock.now()));
  const meter = metrics?.meter ?? noMeter;
  let keys: RelayKeys;
  try {
    const loaded = loadOrCreateRelayKeys(config.dataDir);
    keys = loaded.keys;
    if (loaded.created) childLogger(logger, 'aviso:keys').info('generated new relay keys');
  } catch (err) {
    storage.close();
    throw err;
  }

  const { accounts: accountsRepo, prekeys: prekeysRepo, messages: messagesRepo, tokens: tokensRepo, groups: groupsRepo } = storage;
  const notifier = new MessageNotifier();
  const transaction = storage.transaction;

  const tokens = new TokensService(tokensRepo, clock);
  const groupAuth = new GroupAuthService({ accounts: accountsRepo, transaction, clock, serverSecretParams: keys.zkgroupSecretParams });

  // Endorsement issuing and token checks run in a worker thread: see zk-workers.ts.
  const zk = new ZkWorkers(keys.zkgroupSecretParams.serialize());
  const groupSendTokens = new GroupSendTokens({ zk, clock });
  const messages = new MessagesService({
    accounts: accountsRepo,
    messages: messagesRepo,
    transaction,
    notifier,
    clock,
    logger: childLogger(logger, 'aviso:queue'),
    sendLimiter: new RateLimiter(config.sendRateLimit, clock, () => meter.rateLimited('send')),
    meter,
    ttlMs: config.queueTtlDays * 86_400_000,
    maxPerDevice: config.queueMaxPerDevice,
  });

  const services: Services = {
    accounts: new AccountsService({ accounts: accountsRepo, tokens: tokensRepo, prekeys: prekeysRepo, transaction, clock }),
    prekeys: new PreKeysService({
      accounts: accountsRepo,
      prekeys: prekeysRepo,
      transaction,
      fetchLimiter: new RateLimiter(config.keysRateLimit, clock, () => meter.rateLimited('keys')),
      requesterLimiter: new RateLimiter(config.keysRequesterRateLimit, clock, () => meter.rateLimited('keys_requester')),
      groupLimiter: new RateLimiter(config.keysGroupRateLimit, clock, () => meter.rateLimited('keys_group')),
    }),
    certificates: new CertificatesService({ accounts: accountsRepo, keys, clock, ttlMs: config.senderCertTtlHours * 3_600_000 }),
    messages,
    tokens,
    memberTokens: new MemberTokensService({ tokens, clock, perDay: config.memberTokensPerDay }),
    groupAuth,
    groups: new GroupsService({ groups: groupsRepo, auth: groupAuth, transaction, clock }),
    groupSendTokens,
    endorsements: new EndorsementsService({ groups: groupsRepo, auth: groupAuth, tokens: groupSendTokens, clock }),
    groupSend: new GroupSendService({
      tokens: groupSendTokens,
      messages,
      // Same bucket as 1:1 sends (60, refilling 1/s), keyed by the token: the relay does not know the sender.
      sendLimiter: new RateLimiter(config.sendRateLimit, clock, () => meter.rateLimited('group_send')),
      logger: childLogger(logger, 'aviso:group-send'),
    }),
    notifier,
  };

  services.messages.recoverFanouts();
  services.messages.deleteExpired();
  // What the last run left in the WAL (a crash's recipient lists included) goes before anyone is served.
  checkpointSafely(storage, logger);
  const sweepMs = overrides.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  const sweep = sweepMs > 0 ? setInterval(() => sweepSafely(services, logger), sweepMs).unref() : undefined;
  // Group-send envelopes left live and unanswered get their rows (MessagesService.releaseStragglers).
  const stragglers = setInterval(() => services.messages.releaseStragglers(), LIVE_ENVELOPE_MAX_MS / 2).unref();
  // Off the request path, and only when something was written (one stat of the WAL file otherwise):
  // a row deleted at time t is gone from the WAL file by t + walCheckpointMs (docs/threat-model.md).
  const checkpoints = setInterval(() => checkpointSafely(storage, logger), config.walCheckpointMs).unref();

  let closed = false;
  return {
    config,
    logger,
    clock,
    keys,
    relayInfo: relayInfo(config, keys),
    services,
    storage,
    meter,
    metrics,
    close() {
      if (closed) return;
      closed = true;
      if (sweep) clearInterval(sweep);
      clearInterval(stragglers);
      clearInterval(checkpoints);
      services.messages.flushAcknowledgements();
      storage.close();
      void zk.close(); // terminating a worker cannot fail in a way the caller could act on
    },
  };
}

/** Which migrations this start applied, so an upgrade leaves a record of what changed in the database. */
function logMigrations(storage: SqliteBackend, logger: Logger): void {
  const { ran, schemaVersion } = storage.migrations;
  const log = childLogger(logger, 'aviso:db');
  if (ran.length === 0) log.info({ schemaVersion }, `database schema version ${schemaVersion} is current: no migrations to apply`);
  else log.info({ migrations: ran, schemaVersion }, `applied ${ran.length} database migration${ran.length === 1 ? '' : 's'}: ${ran.join(', ')} (schema version ${schemaVersion})`);
}

function sweepSafely(services: Services, logger: Logger): void {
  try {
    services.messages.deleteExpired();
  } catch (err) {
    logger.error({ err }, 'expiry sweep failed');
  }
}

function checkpointSafely(storage: StorageBackend, logger: Logger): void {
  try {
    if (storage.checkpoint() === 'busy') logger.warn('WAL checkpoint could not complete (database busy); retried at the next interval');
  } catch (err) {
    logger.error({ err }, 'WAL checkpoint failed');
  }
}

/** `AppContext.create(config, overrides)`: the same as `createContext`. */
export const AppContext = { create: createContext };

/** Creates a registration token on a context's database (what `aviso-relay token create` does). */
export function createRegistrationToken(ctx: AppContext, options: { uses?: number; ttlMs?: number } = {}): CreatedToken {
  return ctx.services.tokens.create({ uses: options.uses ?? 1, ttlMs: options.ttlMs ?? 7 * 86_400_000 });
}
