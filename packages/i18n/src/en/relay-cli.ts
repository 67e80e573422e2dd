// `aviso-relay` (packages/server/src/cli): every line it prints for a person. Lines programs read stay
// fixed and English (the ready line, --json, the JSON logs). The settings' meanings (relay.setting.*)
// repeat the ones generated from config.ts into help.ts; a test keeps them equal.
export const relayCli = {
  'relay.help.usage': 'Usage: aviso-relay <command> [options]      (from the repository: npm run relay -- <command>)',
  'relay.help.commands':
    '  serve                      run the relay (npm start runs this)\n' +
    '  info                       relay URL, trust-root fingerprint to publish, totals and disk use\n' +
    '  backup <file>              write a backup of the running relay (contains its private keys)\n' +
    '  restore <file>             restore a backup into the data folder (relay stopped)\n' +
    '  token create [options]     create a registration token\n' +
    '  token list                 list live registration tokens\n' +
    '  token revoke <prefix>      revoke a registration token',
  'relay.help.options': 'Options:',
  'relay.help.dataDir': "  --data-dir DIR        the relay's data folder (default: AVISO_DATA_DIR, else data)",
  'relay.help.help': '  -h, --help            show this help',
  'relay.help.version': "  --version             print the relay's version and the protocol it speaks",
  'relay.help.more': 'Run "aviso-relay <command> --help" for a command\'s options.',
  'relay.help.environment': 'Environment:',
  'relay.help.exit': 'Exit status: 0 success, 1 failure, 2 wrong usage or configuration.',
  'relay.help.tokenUsage': 'Usage: aviso-relay token <create|list|revoke> [options]',
  'relay.help.tokenCommands':
    '  token create [--uses N] [--expires DURATION]   create a registration token\n' +
    '  token list                                     list live registration tokens\n' +
    '  token revoke <prefix>                          revoke a registration token',
  'relay.help.tokenMore': 'Run "aviso-relay token <command> --help" for details.',

  'relay.help.serveUsage': 'Usage: aviso-relay serve [--data-dir DIR]',
  'relay.help.serveAbout':
    'Runs the relay. Prints "aviso relay listening on http://HOST:PORT" on stdout once it accepts\n' +
    'connections; logs (JSON lines, never IP addresses) go to stderr. Pending database migrations are\n' +
    'applied first. SIGINT (Ctrl-C) or SIGTERM stops it cleanly. Only one relay may serve a data folder:\n' +
    'it holds <data folder>/relay.lock, which the system releases when the process ends, even if killed.',
  'relay.help.infoUsage': 'Usage: aviso-relay info [--json] [--data-dir DIR]',
  'relay.help.infoAbout':
    'Shows what to publish and what to watch, reading the data folder (works while the relay runs):\n' +
    '  relay URL           where serve listens with this configuration\n' +
    '  protocol version\n' +
    "  trust root          the relay's trust-root public key, as GET /v1/relay serves it (base64)\n" +
    "  trust root SHA-256  SHA-256 of that key's 33 bytes, hex. Publish it: members compare it with\n" +
    '                      curl -s https://RELAY/v1/relay | jq -r .trustRoot | base64 -d | sha256sum\n' +
    '                      and invite codes carry the same hash (base64url, the second form shown).\n' +
    '  fingerprint         the same hex in 4 lines of 4 groups of 4, as the app and `aviso register`\n' +
    '                      show it to members: print or read these lines to them\n' +
    '  totals              accounts, devices, groups, queued envelopes, live tokens; never an id\n' +
    '  disk use            bytes of all files in the data folder',
  'relay.help.json': '  --json                print one JSON object instead',
  'relay.help.backupUsage': 'Usage: aviso-relay backup <file> [--force] [--data-dir DIR]',
  'relay.help.backupAbout':
    'Writes a consistent backup of the relay to <file>, also while the relay is running. The file holds\n' +
    "the database AND the relay's private keys (relay-keys.json): without them a restored relay has\n" +
    'another trust root and every member rejects it; with them anyone can impersonate the relay.\n' +
    'It is written with mode 0600. Keep it encrypted and offline.\n' +
    '\n' +
    'Format: line 1 "AVISO-RELAY-BACKUP 1", line 2 a JSON header (creation time, relay keys, database\n' +
    'size and SHA-256), then the SQLite database byte for byte. Progress is shown for large databases.',
  'relay.help.backupForce': '  --force               replace <file> if it exists',
  'relay.help.restoreUsage': 'Usage: aviso-relay restore <file> [--force] [--data-dir DIR]',
  'relay.help.restoreAbout':
    'Restores a backup made by "aviso-relay backup" into the data folder. Stop the relay first: restore\n' +
    'refuses while a relay is serving that folder. It refuses to replace existing relay data unless\n' +
    '--force is given. The backup is checked completely (size, SHA-256, SQLite integrity check, relay\n' +
    'keys) before anything is replaced; if any step fails the data folder is left as it was.',
  'relay.help.restoreForce': '  --force               replace the relay data already in the data folder',
  'relay.help.tokenCreateUsage': 'Usage: aviso-relay token create [--uses N] [--expires DURATION] [--data-dir DIR]',
  'relay.help.tokenCreateAbout':
    'Creates a registration token and prints it alone on the last line of stdout. The relay stores only\n' +
    'its SHA-256 hash, so the token cannot be shown again.',
  'relay.help.uses': '  --uses N              registrations it allows (default 1)',
  'relay.help.expires': '  --expires DURATION    lifetime: 7d, 24h, 30m or 3600s (default 7d)',
  'relay.help.tokenListUsage': 'Usage: aviso-relay token list [--data-dir DIR]',
  'relay.help.tokenListAbout': 'Lists live tokens: hash prefix (for revoke), uses left, expiry (UTC).',
  'relay.help.tokenRevokeUsage': 'Usage: aviso-relay token revoke <prefix> [--data-dir DIR]',
  'relay.help.tokenRevokeAbout': 'Revokes the token whose hash starts with <prefix> (4 to 64 hex digits, as printed by "token list").',

  'relay.setting.AVISO_HOST': 'address to listen on',
  'relay.setting.AVISO_PORT': 'port to listen on (0 = any free port)',
  'relay.setting.AVISO_DATA_DIR': 'data folder (database and relay keys); npm runs from the repository root',
  'relay.setting.AVISO_LOG_LEVEL': 'error, warn, info or debug',
  'relay.setting.AVISO_QUEUE_TTL_DAYS': 'days an undelivered envelope is kept (1-90)',
  'relay.setting.AVISO_QUEUE_MAX_PER_DEVICE': 'queued envelopes per device; the oldest are dropped beyond it',
  'relay.setting.AVISO_SENDER_CERT_TTL_HOURS': 'lifetime of sender certificates (1-168)',
  'relay.setting.AVISO_WS_PING_SECONDS': 'WebSocket keepalive interval',
  'relay.setting.AVISO_KEYS_RATE_CAPACITY': 'prekey fetches per requester and device, at once',
  'relay.setting.AVISO_KEYS_RATE_REFILL_SECONDS': 'one more prekey fetch every N seconds',
  'relay.setting.AVISO_KEYS_REQUESTER_RATE_CAPACITY': 'prekey fetches per requester, any targets, at once',
  'relay.setting.AVISO_KEYS_REQUESTER_RATE_REFILL_SECONDS': 'one more of those every N seconds',
  'relay.setting.AVISO_KEYS_GROUP_RATE_CAPACITY': 'prekey fetches of one account through group send tokens, at once',
  'relay.setting.AVISO_KEYS_GROUP_RATE_REFILL_SECONDS': 'one more of those every N seconds',
  'relay.setting.AVISO_SEND_RATE_CAPACITY': 'sends per sender and destination, at once',
  'relay.setting.AVISO_SEND_RATE_REFILL_SECONDS': 'one more send every N seconds',
  'relay.setting.AVISO_MEMBER_TOKENS_PER_DAY': 'registrations each member may enable per day (0 = off)',
  'relay.setting.AVISO_REGISTER_RATE_CAPACITY': 'registrations relay-wide, at once',
  'relay.setting.AVISO_REGISTER_RATE_REFILL_SECONDS': 'one more registration every N seconds',
  'relay.setting.AVISO_MAX_CONNECTIONS': 'open TCP connections',
  'relay.setting.AVISO_WS_MAX_CONNECTIONS': 'open WebSockets',
  'relay.setting.AVISO_WS_MAX_BUFFERED_KIB': 'KiB queued to a socket that does not read before it is cut off',
  'relay.setting.AVISO_HEADERS_TIMEOUT_SECONDS': 'time a client has to send its request headers',
  'relay.setting.AVISO_REQUEST_TIMEOUT_SECONDS': 'time a client has to send its whole request',
  'relay.setting.AVISO_WAL_CHECKPOINT_SECONDS': 'deleted rows leave the write-ahead log within N seconds',
  'relay.setting.AVISO_METRICS_PORT': 'serve Prometheus metrics on this port (unset = off; 0 = any free port)',
  'relay.setting.AVISO_METRICS_HOST': 'address the metrics port listens on',

  'relay.usage.unknownOptionOf': 'Unknown option {option}',
  'relay.usage.missingValue': 'Option {option} argument missing',
  'relay.usage.noValue': 'Option {option} does not take an argument',
  'relay.usage.unexpected': 'Unexpected argument {argument}. This command does not take positional arguments',
  'relay.usage.backupOneFile': 'backup takes exactly one file name: aviso-relay backup <file>',
  'relay.usage.restoreOneFile': 'restore takes exactly one backup file: aviso-relay restore <file>',
  'relay.warning.unknownSetting': 'warning: {name} is not a relay setting and is ignored — {hint}',
  'relay.warning.didYouMean': 'did you mean {suggestion}?',
  'relay.warning.seeHelp': 'see "aviso-relay --help" for the settings',

  'relay.serve.tokenHint': 'Create a registration token with: npm run relay -- token create --uses 1 --expires 7d',
  'relay.serve.busy': 'a relay is already serving {dir} (or a restore is running) — stop it first',
  'relay.serve.keysMissing':
    "{keys} is missing but the database has {accounts, plural, one {# account} other {# accounts}} — restore the relay's keys from a backup; new keys would make every member reject this relay",
  'relay.serve.metricsPortBusy': 'the metrics port {port} on {host} is already in use — stop the program using it or set AVISO_METRICS_PORT',
  'relay.serve.portBusy': 'port {port} on {host} is already in use — stop the program using it or set AVISO_PORT',
  'relay.serve.noAddress': 'this machine has no address {host} — fix AVISO_HOST',
  'relay.serve.portDenied': 'not allowed to listen on port {port} — use a port above 1023 (AVISO_PORT) behind a reverse proxy',
  'relay.serve.damaged': '{file} is damaged or not a database — restore it from a backup (aviso-relay restore --help)',

  'relay.data.none': "no relay data in {dir} — set AVISO_DATA_DIR or --data-dir to the relay's data folder",
  'relay.data.keysMissing': '{path} is missing — restore it from a backup: without it members reject this relay',
  'relay.data.keysDamaged': '{path} is damaged ({reason}) — restore it from a backup',
  'relay.db.notADatabase': '{file} is damaged or not a database — restore it from a backup',
  'relay.db.notRelay': '{file} is not an Aviso relay database',
  'relay.db.newer': '{file} comes from a newer aviso-relay (newer database schema) — {upgrade}',
  'relay.db.newerLevel':
    '{file} comes from a newer aviso-relay: it has database schema version {database}, this aviso-relay knows versions up to {known} — {upgrade} (an Aviso with schema version {database} or later)',
  'relay.db.integrity': "{file} failed SQLite's integrity check ({detail}) — restore it from a backup",
  'relay.upgrade.use': 'upgrade Aviso to use it',
  'relay.upgrade.orRestore': 'upgrade Aviso to use it, or restore the backup taken before the upgrade',
  'relay.upgrade.thenRestore': 'upgrade Aviso, then restore',

  'relay.info.url': 'relay URL',
  'relay.info.urlNote': '(where serve listens; members use your public https:// address)',
  'relay.info.dataDir': 'data folder',
  'relay.info.serving': '(a relay is serving it)',
  'relay.info.notServing': '(no relay is serving it)',
  'relay.info.protocol': 'protocol version',
  'relay.info.trustRoot': 'trust root',
  'relay.info.trustRootNote': '(trustRoot in GET /v1/relay)',
  'relay.info.sha': 'trust root SHA-256',
  'relay.info.shaNote': '(publish this; members pin it)',
  'relay.info.invite': '  as in invite codes',
  'relay.info.fingerprint': 'fingerprint',
  'relay.info.fingerprintNote': '(what members compare)',
  'relay.info.accounts': 'accounts',
  'relay.info.devices': 'devices',
  'relay.info.groups': 'groups',
  'relay.info.queued': 'queued envelopes',
  'relay.info.tokens': 'live tokens',
  'relay.info.disk': 'disk use',
  'relay.info.diskValue': '{size} ({bytes} bytes)',

  'relay.backup.noFolder': 'folder {folder} does not exist — create it or choose another backup file',
  'relay.backup.isFolder': '{file} is a folder — give a file name for the backup',
  'relay.backup.exists': '{file} already exists — choose another name or pass --force to replace it',
  'relay.backup.integrity': 'the relay database failed its integrity check ({detail}) — no backup was written; stop the relay and restore an older backup',
  'relay.backup.warning': "WARNING: {file} contains the relay's PRIVATE KEYS. Keep it encrypted and offline; anyone holding it can impersonate this relay.",
  'relay.backup.done': 'Backed up {accounts} accounts, {groups} groups, {queued} queued envelopes ({size}); trust root SHA-256 {hash}.',
  'relay.progress.line': '{step}: {percent}% ({done} of {total})',
  'relay.progress.copying': 'copying the database',
  'relay.progress.writing': 'writing the backup file',
  'relay.progress.reading': 'reading the backup',

  'relay.restore.done': 'Restored the backup of {createdAt} into {dir}{replaced}: {accounts} accounts, {groups} groups, {queued} queued envelopes.',
  'relay.restore.replaced': ' (the previous data was replaced)',
  'relay.restore.check': 'Trust root SHA-256 {hash}: check it is the one you published, then start the relay (npm start).',
  'relay.restore.busy': 'a relay is serving {dir} — stop it first, then restore',
  'relay.restore.hasData': '{dir} already holds relay data ({files}) — pass --force to replace it, after backing it up',
  'relay.restore.short': 'backup file {file} is truncated or damaged ({size} of {total} database bytes) — nothing was changed',
  'relay.restore.checksum': 'backup file {file} is damaged (checksum mismatch) — nothing was changed',
  'relay.restore.badKeys': 'backup file {file} holds unusable relay keys ({reason}) — nothing was changed',
  'relay.restore.notFound': 'backup file {file} not found',
  'relay.restore.isFolder': '{file} is a folder, not a backup file',
  'relay.restore.newerFormat': 'backup file {file} was written by a newer aviso-relay — upgrade Aviso, then restore',
  'relay.restore.badHeader': 'backup file {file} is damaged (unreadable header) — nothing was changed',
  'relay.restore.notBackup': '{file} is not an aviso-relay backup',
  'relay.restore.truncated': 'backup file {file} is truncated ({size} bytes, expected {expected}) — nothing was changed',
  'relay.restore.wrongSize': 'backup file {file} is damaged ({size} bytes, expected {expected}) — nothing was changed',
  'relay.restore.unreadable': 'backup file {file} is damaged ({reason}) — nothing was changed',
  'relay.restore.integrity': 'backup file {file} is damaged (SQLite integrity check: {detail}) — nothing was changed',
  'relay.restore.newerSchema': 'backup file {file} comes from a newer aviso-relay (newer database schema) — upgrade Aviso, then restore',

  'relay.usage.see': '{message} (see "{help}")',
  'relay.usage.unknownOption': 'unknown option "{option}" before the command',
  'relay.usage.unknownCommand': 'unknown command "{command}"',
  'relay.usage.unknownTokenCommand': 'unknown token command "{command}"',
  'relay.usage.uses': '--uses must be a positive whole number, got "{text}"',
  'relay.usage.expires': '--expires must look like 7d, 24h, 30m or 3600s, got "{text}"',
  'relay.usage.onePrefix': 'token revoke takes exactly one hash prefix',
  'relay.usage.prefix': 'the prefix must be 4 to 64 hex digits, got "{prefix}"',
  'relay.token.created':
    'Registration token for {uses, plural, one {# registration} other {# registrations}}, expires {expires} (hash prefix {hash}). Hand it over privately; it is shown only this once:',
  'relay.token.none': 'No live registration tokens.',
  'relay.token.line': '{hash}  uses-left={uses}  expires={expires}',
  'relay.token.revoked': 'revoked {hash}',
  'relay.token.notFound': 'no token hash starts with "{prefix}" — see "aviso-relay token list"',
  'relay.token.ambiguous': '"{prefix}" matches {count} tokens — give more digits',
  'relay.error.permission': "permission denied{where} — run as the user that owns the relay's files, or fix their permissions",
  'relay.error.diskFull': 'the disk is full{where} — free some space and try again',
  'relay.error.readOnly': 'the file system is read-only{where} — the relay must be able to write its data folder',
  'relay.error.notFound': 'file or folder not found{where}',
  'relay.error.damaged': 'the relay database is damaged — restore it from a backup (aviso-relay restore --help)',
  'relay.error.busy': 'the relay database is busy (locked by another program) — try again',
  'relay.error.unexpected': 'unexpected error: {reason}',
  'relay.error.setting': 'invalid setting: {issues} — fix the environment variable and try again',
} as const;
