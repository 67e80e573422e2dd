import type { Command } from '../command.js';
import { say } from '../lang.js';

// The seized-device commands (docs/threat-model.md). Their code, ../commands/device.ts, loads the
// SDK's store and the agent, so it is imported only when one of them runs.

export const wipe: Command = {
  name: 'wipe',
  synopsis: '[--yes]',
  summary: 'destroy this profile for good: its keys first, then its files (no undo)',
  details: [
    'Asks you to type the profile name to confirm; --yes skips that (scripts, a panic button).',
    'Needs no passphrase. The key material is destroyed first, so even someone who later learns the',
    'passphrase can decrypt nothing; then the files are overwritten and the folder removed.',
    'Stop `aviso listen` or `aviso app` on the profile first. Your groups do not hear of it.',
    '--json: {"type":"wiped","profile","existed"}',
  ],
  options: { yes: { type: 'boolean' } },
  args: { min: 0, max: 0 },
  sharable: false,
  run: async (ctx, args) => (await import('../commands/device.js')).wipe(ctx, args),
};

export const passphraseSet: Command = {
  name: 'passphrase set',
  synopsis: '[--new-passphrase-file PATH]',
  summary: 'protect this profile with a passphrase (its store is encrypted at rest)',
  details: [
    'Asks for the new passphrase twice, without echo; --new-passphrase-file PATH reads it from a file.',
    'From then on every command asks for it (or reads --passphrase-file / AVISO_PASSPHRASE_FILE).',
    'There is no recovery: a forgotten passphrase means the profile is lost (wipe it and join again).',
    '--json: {"type":"passphrase-set","profile"}',
  ],
  options: { 'new-passphrase-file': { type: 'string' } },
  args: { min: 0, max: 0 },
  sharable: false,
  run: async (ctx, args) => (await import('../commands/device.js')).passphraseSet(ctx, args),
};

export const passphraseChange: Command = {
  name: 'passphrase change',
  synopsis: '[--new-passphrase-file PATH]',
  summary: 'change this profile\'s passphrase',
  details: [
    'Asks for the current passphrase (or reads --passphrase-file / AVISO_PASSPHRASE_FILE), then the new',
    'one twice without echo (or --new-passphrase-file PATH). Only the wrapped key is rewritten.',
    '--json: {"type":"passphrase-changed","profile"}',
  ],
  options: { 'new-passphrase-file': { type: 'string' } },
  args: { min: 0, max: 0 },
  sharable: false,
  run: async (ctx, args) => (await import('../commands/device.js')).passphraseChange(ctx, args),
};

export const passphraseDuressSet: Command = {
  name: 'passphrase duress set',
  synopsis: '[--duress-passphrase-file PATH]',
  // Getters: the catalog is read at every start, its words only for help.
  get summary() {
    return say('device.duressSet.summary');
  },
  get details() {
    return [...say('device.duressSet.details').split('\n'), '--json: {"type":"duress-set","profile"}'];
  },
  options: { 'duress-passphrase-file': { type: 'string' } },
  args: { min: 0, max: 0 },
  sharable: false,
  run: async (ctx, args) => (await import('../commands/device.js')).passphraseDuressSet(ctx, args),
};

export const passphraseWipeAfter: Command = {
  name: 'passphrase wipe-after',
  synopsis: '<days>|off',
  get summary() {
    return say('device.wipeAfter.summary');
  },
  get details() {
    return [...say('device.wipeAfter.details').split('\n'), '--json: {"type":"wipe-after","profile","days"} (days: null when off)'];
  },
  options: {},
  args: { min: 1, max: 1 },
  sharable: false,
  run: async (ctx, args) => (await import('../commands/device.js')).passphraseWipeAfter(ctx, args),
};

export const passphraseDuressClear: Command = {
  name: 'passphrase duress clear',
  synopsis: '',
  get summary() {
    return say('device.duressClear.summary');
  },
  get details() {
    return [...say('device.duressClear.details').split('\n'), '--json: {"type":"duress-cleared","profile"}'];
  },
  options: {},
  args: { min: 0, max: 0 },
  sharable: false,
  run: async (ctx) => (await import('../commands/device.js')).passphraseDuressClear(ctx),
};
