import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createContext, createRegistrationToken, type AppContext } from '../context.js';
import { createLogger } from '../logger.js';
import { runRelay } from '../main.js';
import { parseDuration } from './duration.js';

/** Where the CLI writes: `out` is stdout (results), `err` is stderr (explanations, errors). */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l) };

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const MAIN_HELP = `Usage: aviso-relay <command> [options]

Commands:
  serve                      start the relay (stops on SIGINT/SIGTERM)
  token create [options]     create a registration token
  token list                 list live registration tokens
  token revoke <prefix>      revoke the token whose hash starts with <prefix>

Options:
  -h, --help                 show help (also after a command)

Environment (all optional):
  AVISO_HOST (127.0.0.1)  AVISO_PORT (8080; 0 = any free port)  AVISO_DATA_DIR (data, relative to cwd)
  AVISO_LOG_LEVEL (error|warn|info|debug; info)  AVISO_QUEUE_TTL_DAYS (7)
  AVISO_QUEUE_MAX_PER_DEVICE (10000)  AVISO_SENDER_CERT_TTL_HOURS (24)  AVISO_WS_PING_SECONDS (30)
  AVISO_KEYS_RATE_CAPACITY (6)  AVISO_KEYS_RATE_REFILL_SECONDS (600)
  AVISO_SEND_RATE_CAPACITY (60)  AVISO_SEND_RATE_REFILL_SECONDS (1)
  AVISO_MEMBER_TOKENS_PER_DAY (20; registrations each account may enable per day with member-minted tokens, 0 = off)`;

const SERVE_HELP = `Usage: aviso-relay serve

Starts the relay. Prints "aviso relay listening on http://HOST:PORT" on stdout once it accepts
connections. Logs (JSON) go to stderr. SIGINT or SIGTERM shuts it down gracefully.`;

const TOKEN_CREATE_HELP = `Usage: aviso-relay token create [--uses N] [--expires DURATION]

Creates a registration token and prints it alone on the last line of stdout. The relay stores only
its SHA-256 hash, so the token cannot be shown again.

Options:
  --uses N              registrations it allows (default 1)
  --expires DURATION    lifetime: 7d, 24h, 30m or 3600s (default 7d)`;

const TOKEN_LIST_HELP = `Usage: aviso-relay token list

Lists live tokens: hash prefix (for revoke), uses left, expiry (UTC).`;

const TOKEN_REVOKE_HELP = `Usage: aviso-relay token revoke <prefix>

Revokes the token whose hash starts with <prefix> (as printed by "token list").`;

class UsageError extends Error {
  override name = 'UsageError';
}

/** Runs one CLI invocation; resolves with the exit code (`serve` resolves once listening). */
export async function runCli(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
  io: CliIo = consoleIo,
): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      io.out(MAIN_HELP);
      return command === undefined ? EXIT_USAGE : EXIT_OK;
    }
    if (command === 'serve') return await serve(rest, env, io);
    if (command === 'token') return token(rest, env, io);
    throw new UsageError(`unknown command "${command}"`);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`aviso-relay: ${err.message}\nRun "aviso-relay --help" for usage.`);
      return EXIT_USAGE;
    }
    if (err instanceof ConfigError) {
      io.err(`aviso-relay: ${err.message}`);
      return EXIT_USAGE;
    }
    io.err(`aviso-relay: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAILURE;
  }
}

async function serve(args: readonly string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const { values } = parse(args, {});
  if (values.help) return help(io, SERVE_HELP);
  const handle = await runRelay(loadConfig(env));
  io.out(`aviso relay listening on ${handle.url}`);
  io.out('Create a registration token with: npm run relay -- token create --uses 1 --expires 7d');
  return EXIT_OK;
}

function token(args: readonly string[], env: Record<string, string | undefined>, io: CliIo): number {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '-h' || sub === '--help') {
    io.out([TOKEN_CREATE_HELP, TOKEN_LIST_HELP, TOKEN_REVOKE_HELP].join('\n\n'));
    return sub === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (sub === 'create') {
    const { values } = parse(rest, { uses: { type: 'string' }, expires: { type: 'string' } });
    if (values.help) return help(io, TOKEN_CREATE_HELP);
    const uses = Number(values.uses ?? '1');
    if (!/^\d+$/.test(values.uses ?? '1') || !Number.isSafeInteger(uses) || uses < 1) {
      throw new UsageError(`--uses must be a positive whole number, got "${values.uses}"`);
    }
    const ttlMs = parseDuration(values.expires ?? '7d');
    if (ttlMs === undefined) throw new UsageError(`--expires must look like 7d, 24h, 30m or 3600s, got "${values.expires}"`);
    return withContext(env, (ctx) => {
      const created = createRegistrationToken(ctx, { uses, ttlMs });
      io.err(
        `Registration token for ${uses} registration${uses === 1 ? '' : 's'}, expires ${new Date(created.expiresAt).toISOString()} ` +
          `(hash prefix ${created.hash.slice(0, 12)}). Hand it over privately; it is shown only this once:`,
      );
      io.out(created.token);
      return EXIT_OK;
    });
  }
  if (sub === 'list') {
    const { values } = parse(rest, {});
    if (values.help) return help(io, TOKEN_LIST_HELP);
    return withContext(env, (ctx) => {
      const tokens = ctx.services.tokens.list();
      if (tokens.length === 0) io.err('No live registration tokens.');
      for (const t of tokens) io.out(`${t.hash.slice(0, 12)}  uses-left=${t.usesLeft}  expires=${new Date(t.expiresAt).toISOString()}`);
      return EXIT_OK;
    });
  }
  if (sub === 'revoke') {
    const { values, positionals } = parse(rest, {}, true);
    if (values.help) return help(io, TOKEN_REVOKE_HELP);
    const prefix = positionals[0];
    if (prefix === undefined || positionals.length > 1) throw new UsageError('token revoke takes exactly one hash prefix');
    if (!/^[0-9a-fA-F]{4,64}$/.test(prefix)) throw new UsageError('the prefix must be 4 to 64 hex digits');
    return withContext(env, (ctx) => {
      const matches = ctx.services.tokens.find(prefix);
      const [only] = matches;
      if (only === undefined) {
        io.err(`aviso-relay: no token hash starts with "${prefix}"`);
        return EXIT_FAILURE;
      }
      if (matches.length > 1) {
        io.err(`aviso-relay: "${prefix}" matches ${matches.length} tokens; give more digits`);
        return EXIT_FAILURE;
      }
      ctx.services.tokens.revoke(only.hash);
      io.out(`revoked ${only.hash.slice(0, 12)}`);
      return EXIT_OK;
    });
  }
  throw new UsageError(`unknown token command "${sub}"`);
}

/** Token commands work on the data folder directly (creating and migrating it if needed), quietly. */
function withContext(env: Record<string, string | undefined>, fn: (ctx: AppContext) => number): number {
  const config: Config = loadConfig(env);
  const ctx = createContext(config, { logger: createLogger('warn'), sweepIntervalMs: 0 });
  try {
    return fn(ctx);
  } finally {
    ctx.close();
  }
}

function help(io: CliIo, text: string): number {
  io.out(text);
  return EXIT_OK;
}

type StringOptions = Record<string, { type: 'string' }>;

function parse<O extends StringOptions>(args: readonly string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}
