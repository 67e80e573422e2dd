import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import type { AppContext } from '../context.js';
import type { Progress } from './backup.js';
import { DatabaseFileError } from '../ports/operator.js';
import { parseDuration } from './duration.js';
import { CliError, describeFailure, EXIT_OK, EXIT_USAGE, UsageError } from './errors.js';
import { BACKUP_HELP, INFO_HELP, mainHelp, RESTORE_HELP, SERVE_HELP, TOKEN_CREATE_HELP, tokenHelp, TOKEN_LIST_HELP, TOKEN_REVOKE_HELP } from './help.js';
import { loadIcu, relayLang, say } from './words.js';
import { formatBytes, firstLine } from './text.js';
import { PROTOCOL_VERSION } from '@aviso/protocol/constants';
import { RELAY_VERSION } from '../version.js';

// Each command imports what it uses when it runs (`await import(…)`): the relay, its storage, zod
// and libsignal cost most of a second to load, which `--help`, `--version` and a usage error need
// none of, and the token commands need no web server.

export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './errors.js';

/** Where the CLI writes: `out` is stdout (results), `err` is stderr (explanations, progress, errors). */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l) };

type Env = Record<string, string | undefined>;

/** Databases from this size up get progress lines during backup and restore. */
export const PROGRESS_FROM_BYTES = 16 * 1024 * 1024;

/**
 * Runs one CLI invocation; resolves with the exit status (`serve` resolves once listening). Every
 * failure is one line on stderr, `aviso-relay: …`, saying what to do: 2 for usage and
 * configuration mistakes, 1 otherwise.
 */
export async function runCli(argv: readonly string[], env: Env = process.env, io: CliIo = consoleIo): Promise<number> {
  const lang = relayLang(env);
  try {
    const [command, ...rest] = hoistDataDir(argv);
    // A mistyped setting would silently leave its default in force: said before anything runs.
    if (command !== undefined && !['-h', '--help', 'help', '--version'].includes(command)) {
      const { describeUnknownSetting, unknownSettings } = await import('../config/unknown-vars.js'); // loads the schema (zod)
      for (const u of unknownSettings(env)) io.err(`aviso-relay: ${describeUnknownSetting(u)}`);
    }
    switch (command) {
      case undefined:
        io.err(mainHelp(lang));
        return EXIT_USAGE;
      case '-h':
      case '--help':
      case 'help':
        io.out(mainHelp(lang));
        return EXIT_OK;
      case '--version':
        io.out(`aviso-relay ${RELAY_VERSION} (protocol ${PROTOCOL_VERSION})`);
        return EXIT_OK;
      case 'serve':
        return await serve(rest, env, io);
      case 'info':
        return await info(rest, env, io);
      case 'backup':
        return await backup(rest, env, io);
      case 'restore':
        return await restore(rest, env, io);
      case 'token':
        return await token(rest, env, io);
      default:
        throw command.startsWith('-') ? UsageError.of('relay.usage.unknownOption', { option: command }) : UsageError.of('relay.usage.unknownCommand', { command });
    }
  } catch (err) {
    const { line, code } = describeFailure(err, lang);
    io.err(`aviso-relay: ${line}`);
    return code;
  }
}

async function serve(args: readonly string[], env: Env, io: CliIo): Promise<number> {
  const { values } = parse('serve', args, {});
  if (values.help) return help(io, SERVE_HELP);
  const [{ loadConfig }, { runRelay }, { acquireDataLock }] = await Promise.all([import('../config.js'), import('../main.js'), import('./data-lock.js')]);
  const config = loadConfig(withDataDir(env, values));
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  await checkExistingKeys(config.dataDir);
  // Held until the process exits (the kernel drops it then, even on SIGKILL): restore and a second
  // serve refuse meanwhile.
  const lock = acquireDataLock(config.dataDir, `a relay is already serving ${config.dataDir} (or a restore is running) — stop it first`);
  try {
    const handle = await runRelay(config);
    // Before the ready line, so whoever waits for that line finds the metrics address already printed.
    if (handle.metricsUrl !== undefined) io.out(`aviso relay metrics on ${handle.metricsUrl}`);
    io.out(`aviso relay listening on ${handle.url}`);
    io.out('Create a registration token with: npm run relay -- token create --uses 1 --expires 7d');
    return EXIT_OK;
  } catch (err) {
    lock.release();
    throw await explainStartError(err, config);
  }
}

async function info(args: readonly string[], env: Env, io: CliIo): Promise<number> {
  const { values } = parse('info', args, { json: { type: 'boolean' } });
  if (values.help) return help(io, INFO_HELP);
  const [{ loadConfig }, { formatReport, relayReport }] = await Promise.all([import('../config.js'), import('./info.js')]);
  const report = relayReport(loadConfig(withDataDir(env, values)), Date.now());
  if (values.json) io.out(JSON.stringify(report, null, 2));
  else for (const line of formatReport(report)) io.out(line);
  return EXIT_OK;
}

async function backup(args: readonly string[], env: Env, io: CliIo): Promise<number> {
  const { values, positionals } = parse('backup', args, { force: { type: 'boolean' } }, true);
  if (values.help) return help(io, BACKUP_HELP);
  const file = userPath(env, onePositional('backup', positionals, 'backup takes exactly one file name: aviso-relay backup <file>'));
  const [{ loadConfig }, { createBackup }] = await Promise.all([import('../config.js'), import('./backup.js')]);
  const config = loadConfig(withDataDir(env, values));
  const result = await createBackup({ dataDir: config.dataDir, file, force: values.force === true, now: new Date(), progress: progressPrinter(io) });
  io.err(`WARNING: ${result.file} contains the relay's PRIVATE KEYS. Keep it encrypted and offline; anyone holding it can impersonate this relay.`);
  io.err(
    `Backed up ${result.counts.accounts} accounts, ${result.counts.groups} groups, ${result.counts.queuedEnvelopes} queued envelopes ` +
      `(${formatBytes(result.bytes)}); trust root SHA-256 ${result.trustRootSha256Hex}.`,
  );
  io.out(result.file);
  return EXIT_OK;
}

async function restore(args: readonly string[], env: Env, io: CliIo): Promise<number> {
  const { values, positionals } = parse('restore', args, { force: { type: 'boolean' } }, true);
  if (values.help) return help(io, RESTORE_HELP);
  const file = userPath(env, onePositional('restore', positionals, 'restore takes exactly one backup file: aviso-relay restore <file>'));
  const [{ loadConfig }, { restoreBackup }] = await Promise.all([import('../config.js'), import('./restore.js')]);
  const config = loadConfig(withDataDir(env, values));
  const result = await restoreBackup({ dataDir: config.dataDir, file, force: values.force === true, progress: progressPrinter(io) });
  io.out(
    `Restored the backup of ${result.createdAt} into ${result.dataDir}${result.replaced ? ' (the previous data was replaced)' : ''}: ` +
      `${result.counts.accounts} accounts, ${result.counts.groups} groups, ${result.counts.queuedEnvelopes} queued envelopes.`,
  );
  io.out(`Trust root SHA-256 ${result.trustRootSha256Hex}: check it is the one you published, then start the relay (npm start).`);
  return EXIT_OK;
}

async function token(args: readonly string[], env: Env, io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  const lang = relayLang(env);
  if (sub === undefined) {
    io.err(tokenHelp(lang));
    return EXIT_USAGE;
  }
  if (sub === '-h' || sub === '--help') return help(io, tokenHelp(lang));
  if (sub === 'create') {
    const { values } = parse('token create', rest, { uses: { type: 'string' }, expires: { type: 'string' } });
    if (values.help) return help(io, TOKEN_CREATE_HELP);
    const uses = Number(values.uses ?? '1');
    if (!/^\d+$/.test(values.uses ?? '1') || !Number.isSafeInteger(uses) || uses < 1) {
      throw UsageError.of('relay.usage.uses', { text: String(values.uses) }, 'token create');
    }
    const ttlMs = parseDuration(values.expires ?? '7d');
    if (ttlMs === undefined) throw UsageError.of('relay.usage.expires', { text: String(values.expires) }, 'token create');
    const [{ createRegistrationToken }] = await Promise.all([import('../context.js'), loadIcu()]); // "1 registration": a plural
    return withContext(withDataDir(env, values), (ctx) => {
      const created = createRegistrationToken(ctx, { uses, ttlMs });
      // UTC ISO times, as `token list` prints them: operators compare them across machines and logs.
      io.err(say(lang, { key: 'relay.token.created', params: { uses, expires: new Date(created.expiresAt).toISOString(), hash: created.hash.slice(0, 12) } }));
      io.out(created.token);
      return EXIT_OK;
    });
  }
  if (sub === 'list') {
    const { values } = parse('token list', rest, {});
    if (values.help) return help(io, TOKEN_LIST_HELP);
    return withContext(withDataDir(env, values), (ctx) => {
      const tokens = ctx.services.tokens.list();
      if (tokens.length === 0) io.err(say(lang, { key: 'relay.token.none' }));
      for (const t of tokens) io.out(say(lang, { key: 'relay.token.line', params: { hash: t.hash.slice(0, 12), uses: t.usesLeft, expires: new Date(t.expiresAt).toISOString() } }));
      return EXIT_OK;
    });
  }
  if (sub === 'revoke') {
    const { values, positionals } = parse('token revoke', rest, {}, true);
    if (values.help) return help(io, TOKEN_REVOKE_HELP);
    const prefix = onePositional('token revoke', positionals, UsageError.of('relay.usage.onePrefix', undefined, 'token revoke'));
    if (!/^[0-9a-fA-F]{4,64}$/.test(prefix)) throw UsageError.of('relay.usage.prefix', { prefix }, 'token revoke');
    return withContext(withDataDir(env, values), (ctx) => {
      const matches = ctx.services.tokens.find(prefix);
      const [only] = matches;
      if (only === undefined) throw CliError.of('relay.token.notFound', { prefix });
      if (matches.length > 1) throw CliError.of('relay.token.ambiguous', { prefix, count: matches.length });
      ctx.services.tokens.revoke(only.hash);
      io.out(say(lang, { key: 'relay.token.revoked', params: { hash: only.hash.slice(0, 12) } }));
      return EXIT_OK;
    });
  }
  throw UsageError.of('relay.usage.unknownTokenCommand', { command: sub }, 'token');
}

/** Token commands work on the data folder directly (creating and migrating it if needed), quietly. */
async function withContext(env: Env, fn: (ctx: AppContext) => number): Promise<number> {
  const [{ loadConfig }, { createContext }, { createLogger }] = await Promise.all([import('../config.js'), import('../context.js'), import('../logger.js')]);
  const config: Config = loadConfig(env);
  await checkExistingKeys(config.dataDir);
  let ctx: AppContext;
  try {
    ctx = createContext(config, { logger: createLogger('warn'), sweepIntervalMs: 0 });
  } catch (err) {
    throw await explainStartError(err, config);
  }
  try {
    return fn(ctx);
  } finally {
    ctx.close();
  }
}

/**
 * A damaged key file gets a clear line before the relay tries (and fails) to use it. A missing one is
 * created on start, which is right for a new relay but not for one members have registered with: new
 * keys are a new trust root that every member's app rejects. So with accounts present, refuse.
 */
async function checkExistingKeys(dataDir: string): Promise<void> {
  const [{ RELAY_KEYS_FILE }, { DATABASE_FILE }, { loadExistingKeys, openExistingDatabase }] = await Promise.all([import('../relay-keys.js'), import('../context.js'), import('./data-files.js')]);
  const keys = join(dataDir, RELAY_KEYS_FILE);
  if (existsSync(keys)) {
    loadExistingKeys(dataDir);
    return;
  }
  if (!existsSync(join(dataDir, DATABASE_FILE))) return;
  const db = openExistingDatabase(dataDir);
  let accounts: number;
  try {
    accounts = db.counts(Date.now()).accounts;
  } finally {
    db.close();
  }
  if (accounts > 0) {
    throw new CliError(
      `${keys} is missing but the database has ${accounts} account${accounts === 1 ? '' : 's'} — restore the relay's keys from a backup; new keys would make every member reject this relay`,
    );
  }
}

/** Opening a data folder failed: say which file is at fault and what to do. */
async function explainStartError(err: unknown, config: Config): Promise<unknown> {
  if (err instanceof DatabaseFileError) {
    const [{ explainDatabaseError }, { DATABASE_FILE }] = await Promise.all([import('./data-files.js'), import('../context.js')]);
    return explainDatabaseError(err, join(config.dataDir, DATABASE_FILE), 'upgrade Aviso to use it, or restore the backup taken before the upgrade');
  }
  const code = (err as { code?: unknown } | null)?.code;
  const port = (err as { port?: unknown } | null)?.port;
  if (code === 'EADDRINUSE' && config.metrics !== undefined && port === config.metrics.port && port !== config.port) {
    return new CliError(`the metrics port ${config.metrics.port} on ${config.metrics.host} is already in use — stop the program using it or set AVISO_METRICS_PORT`);
  }
  if (code === 'EADDRINUSE') {
    return new CliError(`port ${config.port} on ${config.host} is already in use — stop the program using it or set AVISO_PORT`);
  }
  if (code === 'EADDRNOTAVAIL') return new CliError(`this machine has no address ${config.host} — fix AVISO_HOST`);
  if (code === 'EACCES' && (err as { syscall?: unknown }).syscall === 'listen') {
    return new CliError(`not allowed to listen on port ${config.port} — use a port above 1023 (AVISO_PORT) behind a reverse proxy`);
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new CliError(`${join(config.dataDir, 'aviso.sqlite')} is damaged or not a database — restore it from a backup (aviso-relay restore --help)`);
  }
  return err;
}

function progressPrinter(io: CliIo): Progress {
  let lastStep = '';
  let lastTenth = -1;
  return (step, done, total) => {
    if (total < PROGRESS_FROM_BYTES) return;
    if (step !== lastStep) {
      lastStep = step;
      lastTenth = -1;
    }
    const tenth = Math.floor((done / total) * 10);
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    io.err(`${step}: ${tenth * 10}% (${formatBytes(done)} of ${formatBytes(total)})`);
  };
}

/** `aviso-relay --data-dir DIR info` means `aviso-relay info --data-dir DIR`. */
function hoistDataDir(argv: readonly string[]): readonly string[] {
  const [first, second, ...rest] = argv;
  if (first === '--data-dir' && second !== undefined) return [...rest.slice(0, 1), '--data-dir', second, ...rest.slice(1)];
  if (first?.startsWith('--data-dir=')) return [...[second, ...rest].filter((a) => a !== undefined).slice(0, 1), first, ...rest];
  return argv;
}

function withDataDir(env: Env, values: { 'data-dir'?: string | boolean | undefined }): Env {
  const dir = values['data-dir'];
  return typeof dir === 'string' && dir !== '' ? { ...env, AVISO_DATA_DIR: userPath(env, dir) } : env;
}

/**
 * A path the operator typed, taken from the folder they typed it in: `npm run` moves to the
 * repository root but says where it was started in INIT_CWD.
 */
function userPath(env: Env, path: string): string {
  return resolve(env.INIT_CWD ?? process.cwd(), path);
}

function onePositional(command: string, positionals: readonly string[], message: string | UsageError): string {
  const [only] = positionals;
  if (only === undefined || positionals.length > 1 || only === '') throw typeof message === 'string' ? new UsageError(message, command) : message;
  return only;
}

function help(io: CliIo, text: string): number {
  io.out(text);
  return EXIT_OK;
}

type Options = Record<string, { type: 'string' } | { type: 'boolean' }>;

function parse<O extends Options>(command: string, args: readonly string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...options, 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(firstLine(err).replace(/\. To specify a positional argument.*$/, ''), command);
  }
}
