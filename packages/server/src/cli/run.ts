import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import type { AppContext } from '../context.js';
import type { Progress } from './backup.js';
import { DatabaseFileError } from '../ports/operator.js';
import { parseDuration } from './duration.js';
import { CliError, describeFailure, EXIT_OK, EXIT_USAGE, UsageError } from './errors.js';
import { backupHelp, infoHelp, mainHelp, restoreHelp, serveHelp, tokenCreateHelp, tokenHelp, tokenListHelp, tokenRevokeHelp } from './help.js';
import { loadIcu, relayLang, say, words, type Lang, type MessageKey, type Words } from './words.js';
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
      const { unknownSettings } = await import('../config/unknown-vars.js'); // loads the schema (zod)
      for (const u of unknownSettings(env)) io.err(`aviso-relay: ${say(lang, unknownSettingWords(u))}`);
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
        return await serve(rest, env, io, lang);
      case 'info':
        return await info(rest, env, io, lang);
      case 'backup':
        return await backup(rest, env, io, lang);
      case 'restore':
        return await restore(rest, env, io, lang);
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

async function serve(args: readonly string[], env: Env, io: CliIo, lang: Lang): Promise<number> {
  const { values } = parse('serve', args, {});
  if (values.help) return help(io, serveHelp(lang));
  const [{ loadConfig }, { runRelay }, { acquireDataLock }] = await Promise.all([import('../config.js'), import('../main.js'), import('./data-lock.js')]);
  const config = loadConfig(withDataDir(env, values));
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  await checkExistingKeys(config.dataDir);
  // Held until the process exits (the kernel drops it then, even on SIGKILL): restore and a second
  // serve refuse meanwhile.
  const lock = acquireDataLock(config.dataDir, words('relay.serve.busy', { dir: config.dataDir }));
  try {
    const handle = await runRelay(config);
    // Before the ready line, so whoever waits for that line finds the metrics address already printed.
    // These two lines are for programs (tests, scripts, supervisors wait for them): fixed English in
    // every language, as docs/operating.md gives them. The hint after them is for a person.
    if (handle.metricsUrl !== undefined) io.out(`${METRICS_LINE}${handle.metricsUrl}`);
    io.out(`${READY_LINE}${handle.url}`);
    io.out(say(lang, words('relay.serve.tokenHint')));
    return EXIT_OK;
  } catch (err) {
    lock.release();
    throw await explainStartError(err, config);
  }
}

async function info(args: readonly string[], env: Env, io: CliIo, lang: Lang): Promise<number> {
  const { values } = parse('info', args, { json: { type: 'boolean' } });
  if (values.help) return help(io, infoHelp(lang));
  const [{ loadConfig }, { formatReport, relayReport }] = await Promise.all([import('../config.js'), import('./info.js')]);
  const report = relayReport(loadConfig(withDataDir(env, values)), Date.now());
  if (values.json) io.out(JSON.stringify(report, null, 2));
  else for (const line of formatReport(report, lang)) io.out(line);
  return EXIT_OK;
}

async function backup(args: readonly string[], env: Env, io: CliIo, lang: Lang): Promise<number> {
  const { values, positionals } = parse('backup', args, { force: { type: 'boolean' } }, true);
  if (values.help) return help(io, backupHelp(lang));
  const file = userPath(env, onePositional(positionals, UsageError.of('relay.usage.backupOneFile', undefined, 'backup')));
  const [{ loadConfig }, { createBackup }] = await Promise.all([import('../config.js'), import('./backup.js')]);
  const config = loadConfig(withDataDir(env, values));
  const result = await createBackup({ dataDir: config.dataDir, file, force: values.force === true, now: new Date(), progress: progressPrinter(io, lang) });
  io.err(say(lang, words('relay.backup.warning', { file: result.file })));
  const { accounts, groups, queuedEnvelopes } = result.counts;
  io.err(say(lang, words('relay.backup.done', { accounts, groups, queued: queuedEnvelopes, size: formatBytes(result.bytes), hash: result.trustRootSha256Hex })));
  io.out(result.file);
  return EXIT_OK;
}

async function restore(args: readonly string[], env: Env, io: CliIo, lang: Lang): Promise<number> {
  const { values, positionals } = parse('restore', args, { force: { type: 'boolean' } }, true);
  if (values.help) return help(io, restoreHelp(lang));
  const file = userPath(env, onePositional(positionals, UsageError.of('relay.usage.restoreOneFile', undefined, 'restore')));
  const [{ loadConfig }, { restoreBackup }] = await Promise.all([import('../config.js'), import('./restore.js')]);
  const config = loadConfig(withDataDir(env, values));
  const result = await restoreBackup({ dataDir: config.dataDir, file, force: values.force === true, progress: progressPrinter(io, lang) });
  const { accounts, groups, queuedEnvelopes } = result.counts;
  const replaced = result.replaced ? words('relay.restore.replaced') : '';
  io.out(say(lang, words('relay.restore.done', { createdAt: result.createdAt, dir: result.dataDir, replaced, accounts, groups, queued: queuedEnvelopes })));
  io.out(say(lang, words('relay.restore.check', { hash: result.trustRootSha256Hex })));
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
    if (values.help) return help(io, tokenCreateHelp(lang));
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
    if (values.help) return help(io, tokenListHelp(lang));
    return withContext(withDataDir(env, values), (ctx) => {
      const tokens = ctx.services.tokens.list();
      if (tokens.length === 0) io.err(say(lang, { key: 'relay.token.none' }));
      for (const t of tokens) io.out(say(lang, { key: 'relay.token.line', params: { hash: t.hash.slice(0, 12), uses: t.usesLeft, expires: new Date(t.expiresAt).toISOString() } }));
      return EXIT_OK;
    });
  }
  if (sub === 'revoke') {
    const { values, positionals } = parse('token revoke', rest, {}, true);
    if (values.help) return help(io, tokenRevokeHelp(lang));
    const prefix = onePositional(positionals, UsageError.of('relay.usage.onePrefix', undefined, 'token revoke'));
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
    await loadIcu(); // "1 account": a plural
    throw CliError.of('relay.serve.keysMissing', { keys, accounts });
  }
}

/** Opening a data folder failed: say which file is at fault and what to do. */
async function explainStartError(err: unknown, config: Config): Promise<unknown> {
  if (err instanceof DatabaseFileError) {
    const [{ explainDatabaseError }, { DATABASE_FILE }] = await Promise.all([import('./data-files.js'), import('../context.js')]);
    return explainDatabaseError(err, join(config.dataDir, DATABASE_FILE), words('relay.upgrade.orRestore'));
  }
  const code = (err as { code?: unknown } | null)?.code;
  const port = (err as { port?: unknown } | null)?.port;
  if (code === 'EADDRINUSE' && config.metrics !== undefined && port === config.metrics.port && port !== config.port) {
    return CliError.of('relay.serve.metricsPortBusy', { port: String(config.metrics.port), host: config.metrics.host });
  }
  if (code === 'EADDRINUSE') return CliError.of('relay.serve.portBusy', { port: String(config.port), host: config.host });
  if (code === 'EADDRNOTAVAIL') return CliError.of('relay.serve.noAddress', { host: config.host });
  if (code === 'EACCES' && (err as { syscall?: unknown }).syscall === 'listen') return CliError.of('relay.serve.portDenied', { port: String(config.port) });
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') return CliError.of('relay.serve.damaged', { file: join(config.dataDir, 'aviso.sqlite') });
  return err;
}

const PROGRESS_STEPS: Record<Parameters<Progress>[0], MessageKey> = {
  'copying the database': 'relay.progress.copying',
  'writing the backup file': 'relay.progress.writing',
  'reading the backup': 'relay.progress.reading',
};

function progressPrinter(io: CliIo, lang: Lang): Progress {
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
    io.err(say(lang, words('relay.progress.line', { step: words(PROGRESS_STEPS[step]), percent: tenth * 10, done: formatBytes(done), total: formatBytes(total) })));
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

function onePositional(positionals: readonly string[], error: UsageError): string {
  const [only] = positionals;
  if (only === undefined || positionals.length > 1 || only === '') throw error;
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
    const words = parseErrorWords(err);
    throw words ? UsageError.of(words.key, words.params, command) : new UsageError(firstLine(err).replace(/\. To specify a positional argument.*$/, ''), command);
  }
}

/**
 * node:util's parseArgs says what is wrong in English only; its error code and the quoted option
 * or argument in its message are enough to say it from the catalog. Another error keeps its text.
 */
function parseErrorWords(err: unknown): Words | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : '';
  const quoted = /'[^']*'/.exec(message)?.[0];
  if (quoted === undefined) return undefined;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return words('relay.usage.unknownOptionOf', { option: quoted });
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return words('relay.usage.unexpected', { argument: quoted });
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (message.endsWith(' argument missing')) return words('relay.usage.missingValue', { option: quoted });
    if (message.endsWith(' does not take an argument')) return words('relay.usage.noValue', { option: quoted });
  }
  return undefined;
}

/** The line programs wait for (docs/operating.md); never translated. */
export const READY_LINE = 'aviso relay listening on ';
/** Printed before READY_LINE when metrics are on; never translated. */
export const METRICS_LINE = 'aviso relay metrics on ';

/** The warning for an `AVISO_*` variable no part of Aviso reads. */
function unknownSettingWords(unknown: { name: string; suggestion?: string }): Words {
  // The name is the operator's own, but still only printed when it is a plain identifier: an
  // environment can carry anything, terminal escapes included.
  const name = /^[A-Za-z0-9_]{1,100}$/.test(unknown.name) ? unknown.name : JSON.stringify(unknown.name.slice(0, 100));
  const hint = unknown.suggestion === undefined ? words('relay.warning.seeHelp') : words('relay.warning.didYouMean', { suggestion: unknown.suggestion });
  return words('relay.warning.unknownSetting', { name, hint });
}
