// `aviso --help` and `aviso <command> --help` (packages/cli/src/help.ts, catalog/). A `details` message
// holds several help lines, one per line of the message. Flag names, placeholders in capitals
// (NAME, PATH) and the `--json` shapes stay as they are in every language: people type them.
export const cliHelp = {
  'cli.help.usage': 'Usage: aviso <command> [arguments] [options]',
  'cli.help.usageOf': 'Usage: {usage}',
  'cli.help.commands': 'Commands:',
  'cli.help.options': 'Options (every command):',
  'cli.help.global':
    '--profile NAME   which identity to use (default "default", or $AVISO_PROFILE)\n' +
    "--passphrase-file PATH  read a protected profile's passphrase from PATH (or $AVISO_PASSPHRASE_FILE); else asked at the terminal\n" +
    '--json           print one JSON object per line (errors too, in English: type "error", code, message)\n' +
    '-h, --help       show help (also after a command: aviso invite --help)\n' +
    '--version        print the version of aviso and of the protocol it speaks',
  'cli.help.footer':
    'Groups and members are named by title / display name, by id, or by a unique id prefix (4+ characters);\n' +
    'alerts by id or unique id prefix. Profiles live in $AVISO_HOME (default: your data folder + /aviso).\n' +
    'Language: AVISO_LANG=es or en (else LC_ALL, LC_MESSAGES, LANG). Exit status: 0 ok, 1 failure, 2 usage error.',

  'cli.cmd.register': "create this profile's account on a relay with a registration token",
  'cli.cmd.register.details':
    'The relay operator creates tokens with `npm run relay -- token create`.\n' +
    '--name NAME   the name your groups will see (used by `group create`; `join` asks again)',
  'cli.cmd.join': 'join a group with an invite code (registers this profile if needed)',
  'cli.cmd.join.details': '--name NAME   your name as the group sees it; asked on the terminal when omitted\nInvites that need approval leave you "pending" until an admin runs `aviso approve`.',
  'cli.cmd.verify': 'show the safety number to compare with a member in person',
  'cli.cmd.verify.details':
    '<member> is a display name, an account id, or a unique id prefix, from any of your groups.\n' +
    'Compare the 60 digits face to face or on a call; if they match, run again with --mark so sending\n' +
    'stops should their key ever change.',
  'cli.cmd.accept': "accept a member's new safety number after it changed, so messages to them go out again",
  'cli.cmd.accept.details':
    '<member> is a display name, an account id, or a unique id prefix, from any of your groups.\n' +
    "When a member's key changes (a new phone, or someone impersonating them), sending to them stops.\n" +
    'Compare the new safety number with them first (`aviso verify <member>`), then accept it here.',

  'cli.cmd.groups': 'list your groups',
  'cli.cmd.groupCreate': 'create a private group with you as its admin',
  'cli.cmd.groupCreate.details': '--name NAME            your name as members see it (default: the name given to register/join)\n--announcements-only   only admins may send alerts',
  'cli.cmd.members': "list a group's members",
  'cli.cmd.members.details': "A name that looks like another member's (a look-alike letter, an invisible character) is flagged: check the id.",
  'cli.cmd.remove': 'remove a member from a group (admins)',
  'cli.cmd.remove.details': '--ban   also keep them from rejoining with an invite',

  'cli.cmd.invite': 'create an invite code (and show it as a QR code)',
  'cli.cmd.invite.details':
    '--uses N             how many people may join with it (default 1)\n' +
    '--expires DURATION   lifetime: 30m, 24h, 7d (default 7d)\n' +
    '--approval           joiners wait until an admin runs `aviso approve`\n' +
    'The code also carries a registration token, so a newcomer needs nothing else: `aviso join <code>`.\n' +
    'Share it privately: anyone holding it can join. With --json there is no QR code.',
  'cli.cmd.requests': 'list people waiting for approval to join',
  'cli.cmd.requests.details': "A name that looks like a member's or another request's is flagged: check the id.",
  'cli.cmd.approve': 'let a waiting person into the group (admins)',
  'cli.cmd.deny': 'turn down a join request (admins)',
  'cli.cmd.deny.details': '--ban   also keep them from asking again',

  'cli.cmd.alert': 'send an alert to every member of a group',
  'cli.cmd.alert.details':
    '--kind KIND          {kinds} (Spanish names work too: redada, retén, …)\n' +
    '--severity LEVEL     {severities}\n' +
    '--title TEXT         what is happening (at most {titleChars} characters)\n' +
    '--place TEXT         where (at most {placeChars} characters)\n' +
    '--body TEXT          details\n' +
    '--expires DURATION   how long it stays current: 30m, 4h (default), 2d; at most 7d\n' +
    '--ack                ask members to acknowledge (seen / on my way / on scene / cannot)\n' +
    'Prints the alert id alone on stdout.',
  'cli.cmd.alerts': 'list current alerts with their acknowledgements',
  'cli.cmd.alerts.details': 'Most severe first, then newest. Expired alerts are gone; retracted ones are marked.',
  'cli.cmd.ack': 'acknowledge an alert',
  'cli.cmd.ack.details': '<alert> is an alert id or a unique prefix of one (see `aviso alerts`).\nThe status in Spanish works too: visto, voy-en-camino (or en-camino), en-el-lugar, no-puedo.',
  'cli.cmd.confirm': 'confirm an alert (you saw it too)',
  'cli.cmd.dispute': 'dispute an alert (it does not look right)',
  'cli.cmd.retract': 'retract an alert (its sender or an admin)',
  'cli.cmd.allClear': 'call the all-clear on an alert (its sender or an admin)',
  'cli.cmd.say': 'send a text message to a group',

  'cli.cmd.listen': 'stay connected and show alerts live (Ctrl-C to stop)',
  'cli.cmd.listen.details':
    'On a terminal: a live board, most severe first, with place, age, answers, retracted and expired marks.\n' +
    'Piped: one line per event. --json: one object per event, each with a "type" (below).\n' +
    'Started while `aviso app` holds the profile, listen stops with PROFILE_BUSY: the app shows the same alerts.\n' +
    'If `aviso app` takes this profile over, listen prints handed-over and stops with exit 0.',
  'cli.cmd.app': 'open the Aviso app in your browser (Ctrl-C to stop)',
  'cli.cmd.app.details':
    'Serves the app on 127.0.0.1 only and prints one line: aviso app ready at http://127.0.0.1:PORT/#k=TOKEN\n' +
    'The token in that address works once: the page trades it for a session cookie. It changes every start.\n' +
    '--port N      the port to listen on (default 0: a free one)\n' +
    '--no-open     do not open a browser (print the address only)\n' +
    '--lang es|en  the language the app starts in (the app remembers a choice made there)\n' +
    'With no account yet the app opens on joining a group. docs/app.md tells how it is secured.\n' +
    'If `aviso listen` is running on this profile, it hands the profile over to the app and stops.',

  'cli.cmd.passphraseSet': 'protect this profile with a passphrase (its store is encrypted at rest)',
  'cli.cmd.passphraseSet.details':
    'Asks for the new passphrase twice, without echo; --new-passphrase-file PATH reads it from a file.\n' +
    'From then on every command asks for it (or reads --passphrase-file / AVISO_PASSPHRASE_FILE).\n' +
    'There is no recovery: a forgotten passphrase means the profile is lost (wipe it and join again).',
  'cli.cmd.passphraseChange': "change this profile's passphrase",
  'cli.cmd.passphraseChange.details':
    'Asks for the current passphrase (or reads --passphrase-file / AVISO_PASSPHRASE_FILE), then the new\n' +
    'one twice without echo (or --new-passphrase-file PATH). Only the wrapped key is rewritten.',
  'cli.cmd.wipe': 'destroy this profile for good: its keys first, then its files (no undo)',
  'cli.cmd.wipe.details':
    'Asks you to type the profile name to confirm; --yes skips that (scripts, a panic button).\n' +
    'Needs no passphrase. The key material is destroyed first, so even someone who later learns the\n' +
    'passphrase can decrypt nothing; then the files are overwritten and the folder removed.\n' +
    'Stop `aviso listen` or `aviso app` on the profile first. Your groups do not hear of it.',
} as const;
