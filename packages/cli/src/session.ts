import { AvisoClient, type Logger } from '@aviso/client';
import { ROUTES } from '@aviso/protocol';
import { forward, type Runner } from './control.js';
import { CliError, type ErrorContext } from './errors.js';
import type { CliIo, Output } from './output.js';
import { ensureProfileDir, lockProfile, type Profile } from './profile.js';

/** What every command gets: where to write, which profile, and what to name in error messages. */
export interface Context {
  io: CliIo;
  out: Output;
  profile: Profile;
  /** The command as typed (`group create`), for the profile lock's message. */
  command: string;
  errors: ErrorContext;
  /** The arguments as given, for handing the command to a `listen` that holds the profile. */
  argv: readonly string[];
  /** Set when this command runs inside `listen`'s process: its open, connected client. */
  shared?: AvisoClient;
  /** Runs further commands on `client` in this process (what `listen` serves). */
  nested(client: AvisoClient): Runner;
}

/** The command ran in the process that holds the profile; it printed there, this is its status. */
export class ForwardedError extends CliError {
  constructor(readonly status: number) {
    super('FORWARDED', 'ran in the listening process', status);
  }
}

export interface SessionOptions {
  /** Connect and drain the relay queue before `fn` (fresh state); otherwise work offline. */
  connect: boolean;
  /** Keep syncing groups while connected (listen). */
  live?: boolean;
  /** Hand the command to a `listen` holding the profile (default true; not for listen, register, join). */
  forward?: boolean;
  /** Runs after the relay answered and before connecting: subscribe here to see the queued messages. */
  prepare?: (client: AvisoClient) => Promise<void>;
}

const HEALTH_TIMEOUT_MS = 5000;
const DEFAULT_CONNECT_TIMEOUT_S = 60;

/**
 * Opens the profile's client (locked to this process), optionally connects and waits for the relay's
 * queue to drain, runs `fn`, and always closes cleanly (the store, the socket, the lock).
 */
export async function withClient<T>(ctx: Context, opts: SessionOptions, fn: (client: AvisoClient) => Promise<T>): Promise<T> {
  if (ctx.shared) {
    ctx.errors.relayUrl = ctx.shared.relayUrl;
    return fn(ctx.shared); // already connected and drained by listen
  }
  ensureProfileDir(ctx.profile);
  let unlock: () => void;
  try {
    unlock = lockProfile(ctx.profile, ctx.command);
  } catch (err) {
    if (err instanceof CliError && err.code === 'PROFILE_BUSY' && opts.forward !== false) {
      const status = await forward(ctx.profile, ['--profile', ctx.profile.name, ...ctx.argv], ctx.io);
      if (status !== undefined) throw new ForwardedError(status);
    }
    throw err;
  }
  let client: AvisoClient | undefined;
  try {
    client = await AvisoClient.open({
      dataDir: ctx.profile.dir,
      ...debugLogger(ctx.io),
      requestTimeoutMs: 20_000,
      connection: { backoff: { initialMs: 500, maxMs: 5000 } },
      groupSyncIntervalMs: opts.live ? 30_000 : 0,
    });
    if (client.isRegistered) ctx.errors.relayUrl = client.relayUrl;
    if (opts.connect) {
      const relayUrl = client.relayUrl; // throws NotRegisteredError for a fresh profile
      // The SDK reconnects forever by design; a one-shot command should instead say the relay is down.
      await checkRelay(relayUrl);
      await opts.prepare?.(client);
      await connect(ctx, client, relayUrl);
    }
    return await fn(client);
  } finally {
    await client?.close().catch(() => undefined);
    unlock();
  }
}

async function connect(ctx: Context, client: AvisoClient, relayUrl: string): Promise<void> {
  const seconds = Number(ctx.io.env['AVISO_CONNECT_TIMEOUT'] ?? DEFAULT_CONNECT_TIMEOUT_S) || DEFAULT_CONNECT_TIMEOUT_S;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError('RELAY_DOWN', `the relay at ${relayUrl} did not deliver waiting messages within ${seconds} s — try again later`)), seconds * 1000);
  });
  try {
    await Promise.race([client.connect(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function checkRelay(relayUrl: string): Promise<void> {
  try {
    const res = await fetch(new URL(ROUTES.health, relayUrl), { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    if (res.ok) return;
  } catch {
    // fall through: refused, unreachable, timed out
  }
  throw new CliError('RELAY_DOWN', `cannot reach the relay at ${relayUrl} — is it running and is the address right? try again later`);
}

/** AVISO_DEBUG=1 shows the SDK's log on stderr (ids and counts only: the SDK never logs content). */
function debugLogger(io: CliIo): { logger?: Logger } {
  if (!io.env['AVISO_DEBUG']) return {};
  const log = (level: string) => (obj: Record<string, unknown>, msg?: string) => io.err(`aviso[${level}] ${msg ?? ''} ${JSON.stringify(obj)}`);
  return { logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } };
}
