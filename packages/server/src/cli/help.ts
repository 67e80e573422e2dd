import { t, type Lang, type MessageKey } from '@aviso/i18n/lite';

/** Every setting `loadConfig` reads, with its default and one line of meaning. */
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

function envSection(names: readonly string[] | 'all'): string {
  const rows = ENV_VARS.filter(([name]) => names === 'all' || names.includes(name));
  const width = Math.max(...rows.map(([name, fallback]) => `${name} (${fallback})`.length));
  return `Environment:\n${rows.map(([name, fallback, meaning]) => `  ${`${name} (${fallback})`.padEnd(width)}  ${meaning}`).join('\n')}`;
}

const DATA_DIR_OPTION = '  --data-dir DIR        the relay\'s data folder (default: AVISO_DATA_DIR, else data)';
const HELP_OPTION = '  -h, --help            show this help';

/** `aviso-relay --help` in the operator's language (the settings' meanings stay English). */
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

${envSection('all').replace(/^Environment:/, w('relay.help.environment'))}
${w('relay.help.exit')}`;
}

/** The English help, as before (tests, docs). */
export const MAIN_HELP = mainHelp('en');

export const SERVE_HELP = `Usage: aviso-relay serve [--data-dir DIR]

Runs the relay. Prints "aviso relay listening on http://HOST:PORT" on stdout once it accepts
connections; logs (JSON lines, never IP addresses) go to stderr. Pending database migrations are
applied first. SIGINT (Ctrl-C) or SIGTERM stops it cleanly. Only one relay may serve a data folder:
it holds <data folder>/relay.lock, which the system releases when the process ends, even if killed.

Options:
${DATA_DIR_OPTION}
${HELP_OPTION}

${envSection('all')}`;

export const INFO_HELP = `Usage: aviso-relay info [--json] [--data-dir DIR]

Shows what to publish and what to watch, reading the data folder (works while the relay runs):
  relay URL           where serve listens with this configuration
  protocol version
  trust root          the relay's trust-root public key, as GET /v1/relay serves it (base64)
  trust root SHA-256  SHA-256 of that key's 33 bytes, hex. Publish it: members compare it with
                      curl -s https://RELAY/v1/relay | jq -r .trustRoot | base64 -d | sha256sum
                      and invite codes carry the same hash (base64url, the second form shown).
  fingerprint         the same hex in 4 lines of 4 groups of 4, as the app and \`aviso register\`
                      show it to members: print or read these lines to them
  totals              accounts, devices, groups, queued envelopes, live tokens; never an id
  disk use            bytes of all files in the data folder

Options:
  --json                print one JSON object instead
${DATA_DIR_OPTION}
${HELP_OPTION}

${envSection(['AVISO_DATA_DIR', 'AVISO_HOST', 'AVISO_PORT'])}`;

export const BACKUP_HELP = `Usage: aviso-relay backup <file> [--force] [--data-dir DIR]

Writes a consistent backup of the relay to <file>, also while the relay is running. The file holds
the database AND the relay's private keys (relay-keys.json): without them a restored relay has
another trust root and every member rejects it; with them anyone can impersonate the relay.
It is written with mode 0600. Keep it encrypted and offline.

Format: line 1 "AVISO-RELAY-BACKUP 1", line 2 a JSON header (creation time, relay keys, database
size and SHA-256), then the SQLite database byte for byte. Progress is shown for large databases.

Options:
  --force               replace <file> if it exists
${DATA_DIR_OPTION}
${HELP_OPTION}

${envSection(['AVISO_DATA_DIR'])}`;

export const RESTORE_HELP = `Usage: aviso-relay restore <file> [--force] [--data-dir DIR]

Restores a backup made by "aviso-relay backup" into the data folder. Stop the relay first: restore
refuses while a relay is serving that folder. It refuses to replace existing relay data unless
--force is given. The backup is checked completely (size, SHA-256, SQLite integrity check, relay
keys) before anything is replaced; if any step fails the data folder is left as it was.

Options:
  --force               replace the relay data already in the data folder
${DATA_DIR_OPTION}
${HELP_OPTION}

${envSection(['AVISO_DATA_DIR'])}`;

export const TOKEN_CREATE_HELP = `Usage: aviso-relay token create [--uses N] [--expires DURATION] [--data-dir DIR]

Creates a registration token and prints it alone on the last line of stdout. The relay stores only
its SHA-256 hash, so the token cannot be shown again.

Options:
  --uses N              registrations it allows (default 1)
  --expires DURATION    lifetime: 7d, 24h, 30m or 3600s (default 7d)
${DATA_DIR_OPTION}
${HELP_OPTION}

${envSection(['AVISO_DATA_DIR'])}`;

export const TOKEN_LIST_HELP = `Usage: aviso-relay token list [--data-dir DIR]

Lists live tokens: hash prefix (for revoke), uses left, expiry (UTC).

Options:
${DATA_DIR_OPTION}
${HELP_OPTION}

${envSection(['AVISO_DATA_DIR'])}`;

export const TOKEN_REVOKE_HELP = `Usage: aviso-relay token revoke <prefix> [--data-dir DIR]

Revokes the token whose hash starts with <prefix> (4 to 64 hex digits, as printed by "token list").

Options:
${DATA_DIR_OPTION}
${HELP_OPTION}

${envSection(['AVISO_DATA_DIR'])}`;

/** `aviso-relay token` without a subcommand, in the operator's language. */
export function tokenHelp(lang: Lang): string {
  const w = (key: MessageKey) => t(lang, key);
  return `${w('relay.help.tokenUsage')}

${w('cli.help.commands')}
${w('relay.help.tokenCommands')}

${w('relay.help.tokenMore')}`;
}

export const TOKEN_HELP = tokenHelp('en');
