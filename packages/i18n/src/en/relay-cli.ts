// `aviso-relay` (packages/server/src/cli): its main and token help and the messages an operator sees
// most. The settings' one-line meanings in the help stay in English (generated from config.ts).
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
