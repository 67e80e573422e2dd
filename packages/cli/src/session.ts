import { DEFAULT_CONNECT_TIMEOUT_S, MemberHost, connectAndDrain, debugLogger, type ProfileSecret } from '@aviso/agent';
import type { AvisoClient } from '@aviso/client';
import { forward, type Runner } from './control.js';
import { CliError, cliError, ForwardedError, type ErrorContext } from './cli-error.js';
import type { CliIo, Output } from './output.js';
import { currentPassphrase } from './passphrase.js';
import type { Profile } from './profile.js';

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
}

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
  let client: AvisoClient;
  try {
    client = await host.client(ctx.profile);
  } catch (err) {
    if (err instanceof CliError && err.code === 'PROFILE_BUSY' && opts.forward !== false) {
      const status = await forward(ctx.profile, ['--profile', ctx.profile.name, ...ctx.argv], ctx.io);
      if (status !== undefined) throw new ForwardedError(status);
    }
    throw err;
  }
  try {
    if (client.isRegistered) ctx.errors.relayUrl = client.relayUrl;
    if (opts.connect) {
      const timeoutSeconds = Number(ctx.io.env['AVISO_CONNECT_TIMEOUT'] ?? DEFAULT_CONNECT_TIMEOUT_S) || DEFAULT_CONNECT_TIMEOUT_S;
      await connectAndDrain(client, { timeoutSeconds, ...(opts.prepare ? { prepare: opts.prepare } : {}) });
    }
    return await fn(client);
  } finally {
    await host.closeAll();
  }
}

/** The secret of an encrypted profile: its passphrase, from the file or the terminal. */
export async function profileSecret(ctx: Context, profile: string, protection: 'passphrase' | 'key-file'): Promise<ProfileSecret> {
  if (protection === 'key-file') throw cliError('PASSPHRASE_REQUIRED', 'cli.error.keyFileProfile', { profile });
  return { passphrase: await currentPassphrase(ctx.io, ctx.passphraseFile, profile) };
}

export { checkRelay } from '@aviso/agent';
