// The relay fingerprint: onboarding's "Check relay" step, the invite path's note, Settings, and the
// CLI's `aviso register` / `aviso fingerprint` (packages/app/src/fingerprint.tsx, packages/cli).
export const fingerprint = {
  'fp.check': 'Check relay',
  'fp.checking': 'Checking…',
  'fp.title': 'Compare the relay fingerprint',
  'fp.relay': 'Relay address: {url}',
  'fp.compare': 'Compare this with the fingerprint your organiser or relay operator gave you. If any group differs, stop.',
  'fp.digits': 'Relay fingerprint: 16 groups of 4 characters, in 4 lines',
  'fp.matches': 'It matches, register',
  'fp.registering': 'Registering…',
  'fp.mismatch': 'The relay answered with a different fingerprint than the one you checked. Nothing was registered. Stop, and ask your organiser.',
  'fp.notRelay': 'That address does not answer like an Aviso relay. Check the address with your organiser.',
  'fp.down': 'Cannot reach a relay at that address. Check the address, or try again later.',
  'fp.invite.checked': 'Aviso checked this relay against the fingerprint in your invite: it matches.',
  'fp.invite.show': 'Show the relay fingerprint',
  'fp.dismiss': 'OK',
  'fp.settings.title': 'Relay fingerprint',
  'fp.settings.note': 'Your account is tied to this relay. Your organiser or relay operator can read theirs to you: every group should match.',
  'cli.fp.help.summary': "show the relay fingerprint to compare with your organiser's (this profile's, or a relay's before registering)",
  'cli.fp.help.details':
    'Without an address: the fingerprint of the relay this profile is registered with (pinned).\n' +
    "With an address: that relay's fingerprint, read before registering (no profile is opened).\n" +
    'The same 16 groups of 4 that `aviso-relay info` prints; if any group differs, stop.',
  'cli.fp.help.register':
    '--fingerprint HEX    the relay fingerprint your organiser gave you (`aviso-relay info`): registers\n' +
    '                     only if the relay has it (see it first with `aviso fingerprint <relay-url>`)\n' +
    'Prints the account id and the relay fingerprint it pinned.',
  'cli.fp.usage.fingerprint': '--fingerprint takes the 64 hex digits your organiser gave you (spaces between the groups are fine)',
  'cli.fp.pinned': 'relay fingerprint (pinned by this profile):',
  'cli.fp.fetched': 'fingerprint of the relay at {url}:',
  'cli.fp.compare': 'compare it with the one your organiser or relay operator gave you; if any group differs, stop',
  'cli.fp.checked': 'it matches the fingerprint you gave with --fingerprint',
  'cli.fp.registered': 'registered profile "{profile}" on {url} as account {account}',
} as const;
