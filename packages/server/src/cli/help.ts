import { CATALOG, t, type Lang, type MessageKey } from '@aviso/i18n/lite';

/**
 * Every setting `loadConfig` reads, with its default and one line of meaning: the English one, which
 * docs/operating.md's table is made from. The help says each through the catalog (relay.setting.*).
 */
export const ENV_VARS: readonly (readonly [name: string, fallback: string, meaning: string])[] = [
  // settings:begin (generated from config.ts by `npm run docs:settings`; do not edit)
  ['AVISO_HOST', '127.0.0.1', 'address to listen on'],
  ['AVISO_PORT', '8080', 'port to listen on (0 = any free port)'],
  ['AVISO_DATA_DIR', 'data', 'data folder (database and relay keys); npm runs from the repository root'],
  ['AVISO_LOG_LEVEL', 'info', 'error, warn, info or debug'],
  ['AVISO_QUEUE_TTL_DAYS', '7', 'days an undelivered envelope is kept (1-90)'],
  ['AVISO_QUEUE_MAX_PER_DEVICE', '10000', 'queued envelopes per device; the oldest are dropped beyond it'],
  ['AVISO_SENDER_CERT_TTL_HOURS', '24', 'lifetime of sender certificates (1-168)'],
  ['AVISO_WS_PING_SECONDS', '30', 'WebSocket keepalive interval'],
  ['AVISO_KEYS_RATE_CAPACITY', '6', 'prekey fetches per requester and device, at once'],
  ['AVISO_KEYS_RATE_REFILL_SECONDS', '600', 'one more prekey fetch every N seconds'],
  ['AVISO_KEYS_REQUESTER_RATE_CAPACITY', '30', 'prekey fetches per requester, any targets, at once'],
  ['AVISO_KEYS_REQUESTER_RATE_REFILL_SECONDS', '120', 'one more of those every N seconds'],
  ['AVISO_KEYS_GROUP_RATE_CAPACITY', '200', 'prekey fetches of one account through group send tokens, at once'],
  ['AVISO_KEYS_GROUP_RATE_REFILL_SECONDS', '6', 'one more of those every N seconds'],
  ['AVISO_SEND_RATE_CAPACITY', '60', 'sends per sender and destination, at once'],
  ['AVISO_SEND_RATE_REFILL_SECONDS', '1', 'one more send every N seconds'],
  ['AVISO_MEMBER_TOKENS_PER_DAY', '20', 'registrations each member may enable per day (0 = off)'],
  ['AVISO_REGISTER_RATE_CAPACITY', '60', 'registrations relay-wide, at once'],
  ['AVISO_REGISTER_RATE_REFILL_SECONDS', '10', 'one more registration every N seconds'],
  ['AVISO_MAX_CONNECTIONS', '24000', 'open TCP connections'],
  ['AVISO_WS_MAX_CONNECTIONS', '20000', 'open WebSockets'],
  ['AVISO_WS_MAX_BUFFERED_KIB', '16384', 'KiB queued to a socket that does not read before it is cut off'],
  ['AVISO_HEADERS_TIMEOUT_SECONDS', '10', 'time a client has to send its request headers'],
  ['AVISO_REQUEST_TIMEOUT_SECONDS', '60', 'time a client has to send its whole request'],
  ['AVISO_WAL_CHECKPOINT_SECONDS', '10', 'deleted rows leave the write-ahead log within N seconds'],
  ['AVISO_METRICS_PORT', 'unset', 'serve Prometheus metrics on this port (unset = off; 0 = any free port)'],
  ['AVISO_METRICS_HOST', '127.0.0.1', 'address the metrics port listens on'],
  // settings:end
];

/** A setting's meaning in the operator's language; the generated English one if the catalog lacks it. */
function meaningOf(lang: Lang, name: string, fallback: string): string {
  const key = `relay.setting.${name}` as MessageKey;
  return Object.hasOwn(CATALOG[lang], key) ? t(lang, key) : fallback;
}

function envSection(lang: Lang, names: readonly string[] | 'all'): string {
  const rows = ENV_VARS.filter(([name]) => names === 'all' || names.includes(name));
  const width = Math.max(...rows.map(([name, fallback]) => `${name} (${fallback})`.length));
  const lines = rows.map(([name, fallback, meaning]) => `  ${`${name} (${fallback})`.padEnd(width)}  ${meaningOf(lang, name, meaning)}`);
  return `${t(lang, 'relay.help.environment')}\n${lines.join('\n')}`;
}

/** One command's help: usage, what it does, its own options, then --data-dir, --help and its settings. */
function commandHelp(lang: Lang, usage: MessageKey, about: MessageKey, options: readonly MessageKey[], settings: readonly string[] | 'all'): string {
  const w = (key: MessageKey) => t(lang, key);
  const optionLines = [...options, 'relay.help.dataDir', 'relay.help.help'].map((key) => w(key as MessageKey));
  return `${w(usage)}

${w(about)}

${w('relay.help.options')}
${optionLines.join('\n')}

${envSection(lang, settings)}`;
}

/** `aviso-relay --help` in the operator's language. */
export function mainHelp(lang: Lang): string {
  const w = (key: MessageKey) => t(lang, key);
  return `${w('relay.help.usage')}

${w('cli.help.commands')}
${w('relay.help.commands')}

${w('relay.help.options')}
${w('relay.help.dataDir')}
${w('relay.help.help')}
${w('relay.help.version')}
${w('relay.help.more')}

${envSection(lang, 'all')}
${w('relay.help.exit')}`;
}

/** The English help, as before (tests, docs). */
export const MAIN_HELP = mainHelp('en');

export const serveHelp = (lang: Lang): string => commandHelp(lang, 'relay.help.serveUsage', 'relay.help.serveAbout', [], 'all');

export const infoHelp = (lang: Lang): string =>
  commandHelp(lang, 'relay.help.infoUsage', 'relay.help.infoAbout', ['relay.help.json'], ['AVISO_DATA_DIR', 'AVISO_HOST', 'AVISO_PORT']);

export const backupHelp = (lang: Lang): string => commandHelp(lang, 'relay.help.backupUsage', 'relay.help.backupAbout', ['relay.help.backupForce'], ['AVISO_DATA_DIR']);

export const restoreHelp = (lang: Lang): string => commandHelp(lang, 'relay.help.restoreUsage', 'relay.help.restoreAbout', ['relay.help.restoreForce'], ['AVISO_DATA_DIR']);

export const tokenCreateHelp = (lang: Lang): string =>
  commandHelp(lang, 'relay.help.tokenCreateUsage', 'relay.help.tokenCreateAbout', ['relay.help.uses', 'relay.help.expires'], ['AVISO_DATA_DIR']);

export const tokenListHelp = (lang: Lang): string => commandHelp(lang, 'relay.help.tokenListUsage', 'relay.help.tokenListAbout', [], ['AVISO_DATA_DIR']);

export const tokenRevokeHelp = (lang: Lang): string => commandHelp(lang, 'relay.help.tokenRevokeUsage', 'relay.help.tokenRevokeAbout', [], ['AVISO_DATA_DIR']);

/** `aviso-relay token` without a subcommand, in the operator's language. */
export function tokenHelp(lang: Lang): string {
  const w = (key: MessageKey) => t(lang, key);
  return `${w('relay.help.tokenUsage')}

${w('cli.help.commands')}
${w('relay.help.tokenCommands')}

${w('relay.help.tokenMore')}`;
}

export const TOKEN_HELP = tokenHelp('en');
