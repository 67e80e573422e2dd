// The seized-device commands of the CLI (packages/cli/src/catalog/device.ts, commands/device.ts):
// the duress passphrase, key-file profiles, wipe when not unlocked for some days.
export const device = {
  'device.duressSet.summary': 'set a duress passphrase: it opens an empty profile and destroys this one',
  'device.duressSet.details':
    'Asks for the current passphrase (or reads --passphrase-file / AVISO_PASSPHRASE_FILE), then the duress\npassphrase twice without echo (or --duress-passphrase-file PATH). From then on, unlocking with the\nduress passphrase (at a terminal, a passphrase file or the app) looks and takes as long as a normal\nunlock, but replaces this profile by an empty one and destroys its key: nothing can bring it back.\nDestroying data can carry legal risk where you live (for example if a device is under a court order):\nread the guide before you set one. The files do not show whether one is set.',
  'device.duressClear.summary': 'remove the duress passphrase of this profile',
  'device.duressClear.details': 'Asks for the current passphrase (or reads --passphrase-file / AVISO_PASSPHRASE_FILE).\nAfterwards the old duress passphrase is just a wrong passphrase.',
  'device.duressSet.done': 'profile "{profile}" has a duress passphrase: typed instead of the passphrase, it opens an empty profile and destroys this one for good',
  'device.duressClear.done': 'profile "{profile}" has no duress passphrase now',
  'device.duress.prompt': 'duress passphrase: ',
  'device.duress.promptAgain': 'the same duress passphrase again: ',
  'device.duress.terminal': 'a duress passphrase is typed at a terminal, or given with --duress-passphrase-file PATH',
  'device.duress.empty': 'no duress passphrase given',
  'device.duress.differ': 'the two duress passphrases differ — nothing was changed; try again',
  'device.duress.conflict': 'the duress passphrase must differ from the passphrase of profile "{profile}" — nothing was changed',
  'device.duress.needsPassphrase': 'profile "{profile}" has no passphrase yet — set one with `aviso passphrase set` first',
  'device.duress.keyFile': 'profile "{profile}" is encrypted with a key file, not a passphrase: a duress passphrase needs a passphrase',
  'device.passphrase.subcommand': 'passphrase needs a subcommand: `aviso passphrase set`, `aviso passphrase change`, `aviso passphrase duress set` or `aviso passphrase duress clear`',
  'device.keyFile.option': '--key-file PATH   open a profile encrypted with a key file (or $AVISO_KEY_FILE): for unattended bots',
  'device.keyFile.required': 'profile "{profile}" is encrypted with a key file — give --key-file PATH (or AVISO_KEY_FILE)',
  'device.keyFile.notThatKind': 'profile "{profile}" is protected by a passphrase, not a key file — drop --key-file / AVISO_KEY_FILE',
  'device.wipeAfter.summary': 'wipe this profile if it is not unlocked for DAYS days (or turn that off)',
  'device.wipeAfter.details': 'aviso passphrase wipe-after DAYS (1 to 365) or off. Checked every time a command or the app opens the\nprofile, before the passphrase is asked, and every hour by a locked `aviso app`: past the days, the\nprofile is wiped as by `aviso wipe`. The setting and the time of the last unlock are kept in clear\nbeside the store (they must be read before unlocking). It cannot reach a copy of the disk.',
  'device.wipeAfter.on': 'profile "{profile}" will be wiped if it is not unlocked for {days, plural, one {# day} other {# days}}',
  'device.wipeAfter.off': 'profile "{profile}" will not be wiped for lack of use',
  'device.wipeAfter.bad': 'give the days as a whole number from 1 to 365, or off',
} as const;
