import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_CONNECT_TIMEOUT_S, MemberHost, connectAndDrain, debugLogger, profileHolder, type ProfileSecret } from '@aviso/agent';
import type { AvisoClient } from '@aviso/client';
import { forward, type Runner } from './control.js';
import { CliError, cliError, ForwardedError, restated, usageError, type ErrorContext } from './cli-error.js';
import { say } from './lang.js';
import type { CliIo, Output } from './output.js';
import { currentPassphrase } from './passphrase.js';
import type { Profile } from './profile.js';
import { terminalText } from './terminal-text.js';

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
  /** Where the profile's passphrase is read from (--passphrase-file, AVISO_PASSPHRASE_FILE); else a TTY prompt. */
  passphraseFile: { path: string; option: string } | undefined;
  /** The key file of a profile encrypted with one (--key-file, AVISO_KEY_FILE): unattended bots. */
  keyFile: string | undefined;
  /** Runs further commands on `client` in this process (what `listen` serves). */
  nested(client: AvisoClient): Runner;
  /** A command to suggest (`next: …`), written the way this one was run, with its --profile. */
  suggest(words: string): string;
}

export { ForwardedError } from './cli-error.js';

export interface SessionOptions {
  /** Connect and drain the relay queue before `fn` (fresh state); otherwise work offline. */
  connect: boolean;
  /** Keep syncing groups while connected (listen). */
  live?: boolean;
  /** Hand the command to a `listen` holding the profile (default true; not for listen, register, join). */
  forward?: boolean;
  /** Runs after the relay answered and before connecting: subscribe here to see the queued messages. */
  prepare?: (client: AvisoClient) => Promise<void>;
  /** Runs before connecting, with the profile's relay: `listen` waits there for a relay that is down. */
  waitForRelay?: (relayUrl: string) => Promise<void>;
  /**
   * For a command that can show what the store holds: called instead of failing when the relay cannot
   * be reached (RELAY_DOWN, TLS_UNTRUSTED); `fn` then runs offline.
   */
  offline?: (why: CliError) => void;
  /** Wait for a short command that holds the profile (default true; the app asks listen itself). */
  waitForLock?: boolean;
}

/** How long a command waits for another one that holds its profile (AVISO_LOCK_WAIT, seconds; 0: not at all). */
export const DEFAULT_LOCK_WAIT_S = 10;
/** Holders that do not finish by themselves: waiting for them cannot help. */
const LONG_RUNNING = new Set(['listen', 'app']);

const busy = (err: unknown): err is CliError => err instanceof CliError && err.code === 'PROFILE_BUSY';
const unreachable = (err: unknown): err is CliError => err instanceof CliError && (err.code === 'RELAY_DOWN' || err.code === 'TLS_UNTRUSTED');

/**
 * Opens the profile's client through a member host (locked to this process), optionally connects and
 * waits for the relay's queue to drain, runs `fn`, and always closes cleanly (the store, the socket,
 * the lock). A profile held by a `listen` gets the command handed to it instead.
 */
export async function withClient<T>(ctx: Context, opts: SessionOptions, fn: (client: AvisoClient) => Promise<T>): Promise<T> {
  if (ctx.shared) {
    ctx.errors.relayUrl = ctx.shared.relayUrl;
    return fn(ctx.shared); // already connected and drained by listen
  }
  const host = new MemberHost({ command: ctx.command, logger: debugLogger(ctx.io.env, (line) => ctx.io.err(line)), live: opts.live ?? false, secret: (profile, protection) => profileSecret(ctx, profile.name, protection) });
  const client = await openClient(ctx, host, opts);
  try {
    if (client.isRegistered) ctx.errors.relayUrl = client.relayUrl;
    if (opts.connect) {
      const timeoutSeconds = Number(ctx.io.env['AVISO_CONNECT_TIMEOUT'] ?? DEFAULT_CONNECT_TIMEOUT_S) || DEFAULT_CONNECT_TIMEOUT_S;
      try {
        await opts.waitForRelay?.(client.relayUrl);
        await connectAndDrain(client, { timeoutSeconds, ...(opts.prepare ? { prepare: opts.prepare } : {}) });
      } catch (err) {
        if (!opts.offline || !unreachable(err)) throw err;
        opts.offline(restated(err, ctx.errors));
      }
    }
    return await fn(client);
  } finally {
    await host.closeAll();
  }
}

/**
 * The profile's client, once its lock is ours. Held by a `listen` that serves commands, the command
 * is handed to it. Held by a short command (another `ack`, an `alerts`), we wait for it to finish, up
 * to AVISO_LOCK_WAIT seconds, saying so on stderr, then give a clear PROFILE_BUSY.
 */
async function openClient(ctx: Context, host: MemberHost, opts: SessionOptions): Promise<AvisoClient> {
  const seconds = lockWaitSeconds(ctx.io.env);
  const until = Date.now() + seconds * 1000;
  let said = false;
  for (;;) {
    try {
      return await host.client(ctx.profile);
    } catch (err) {
      if (!busy(err)) throw err;
      if (opts.forward !== false) {
        const status = await forward(ctx.profile, ['--profile', ctx.profile.name, ...ctx.argv], ctx.io);
        if (status !== undefined) throw new ForwardedError(status);
      }
      const found = profileHolder(ctx.profile);
      if (opts.waitForLock === false || !found || LONG_RUNNING.has(found.command) || seconds === 0) throw err;
      // The lock file's command is shown on the terminal: made safe like any text we did not write here.
      const holder = { pid: found.pid, command: terminalText(found.command) };
      if (Date.now() >= until) {
        throw cliError('PROFILE_BUSY', 'cli.robust.lock.gaveUp', { profile: ctx.profile.name, holder: holder.command, pid: holder.pid, seconds }, undefined, { cause: err });
      }
      if (!said) ctx.io.err(say('cli.robust.lock.waiting', { profile: ctx.profile.name, holder: holder.command, pid: holder.pid, seconds }));
      said = true;
      await sleep(LOCK_POLL_MS);
    }
  }
}

const LOCK_POLL_MS = 100;

function lockWaitSeconds(env: Record<string, string | undefined>): number {
  const given = env['AVISO_LOCK_WAIT'];
  const n = given === undefined || given.trim() === '' ? NaN : Number(given);
  return Number.isFinite(n) && n >= 0 ? Math.min(n, 3600) : DEFAULT_LOCK_WAIT_S;
}

/** The secret of an encrypted profile: its key file (--key-file, AVISO_KEY_FILE), or its passphrase from the file or the terminal. */
export async function profileSecret(ctx: Context, profile: string, protection: 'passphrase' | 'key-file'): Promise<ProfileSecret> {
  if (protection === 'key-file') {
    if (ctx.keyFile === undefined) throw cliError('PASSPHRASE_REQUIRED', 'device.keyFile.required', { profile });
    return { keyFile: ctx.keyFile };
  }
  if (ctx.keyFile !== undefined && ctx.passphraseFile === undefined) throw usageError('device.keyFile.notThatKind', { profile });
  return { passphrase: await currentPassphrase(ctx.io, ctx.passphraseFile, profile) };
}

export { checkRelay } from '@aviso/agent';
