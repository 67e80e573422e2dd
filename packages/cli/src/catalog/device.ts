import type { Command } from '../command.js';

// The seized-device commands (docs/threat-model.md). Their code, ../commands/device.ts, loads the
// SDK's store and the agent, so it is imported only when one of them runs.

export const wipe: Command = {
  name: 'wipe',
  synopsis: '[--yes]',
  summary: 'cli.cmd.wipe',
  details: 'cli.cmd.wipe.details',
  json: ['--json: {"type":"wiped","profile","existed"}'],
  options: { yes: { type: 'boolean' } },
  args: { min: 0, max: 0 },
  sharable: false,
  run: async (ctx, args) => (await import('../commands/device.js')).wipe(ctx, args),
};

export const passphraseSet: Command = {
  name: 'passphrase set',
  synopsis: '[--new-passphrase-file PATH]',
  summary: 'cli.cmd.passphraseSet',
  details: 'cli.cmd.passphraseSet.details',
  json: ['--json: {"type":"passphrase-set","profile"}'],
  options: { 'new-passphrase-file': { type: 'string' } },
  args: { min: 0, max: 0 },
  sharable: false,
  run: async (ctx, args) => (await import('../commands/device.js')).passphraseSet(ctx, args),
};

export const passphraseChange: Command = {
  name: 'passphrase change',
  synopsis: '[--new-passphrase-file PATH]',
  summary: 'cli.cmd.passphraseChange',
  details: 'cli.cmd.passphraseChange.details',
  json: ['--json: {"type":"passphrase-changed","profile"}'],
  options: { 'new-passphrase-file': { type: 'string' } },
  args: { min: 0, max: 0 },
  sharable: false,
  run: async (ctx, args) => (await import('../commands/device.js')).passphraseChange(ctx, args),
};

export const passphraseDuressSet: Command = {
  name: 'passphrase duress set',
  synopsis: '[--duress-passphrase-file PATH]',
  summary: 'device.duressSet.summary',
  details: 'device.duressSet.details',
  json: ['--json: {"type":"duress-set","profile"}'],
  options: { 'duress-passphrase-file': { type: 'string' } },
  args: { min: 0, max: 0 },
  sharable: false,
  run: async (ctx, args) => (await import('../commands/device.js')).passphraseDuressSet(ctx, args),
};

export const passphraseWipeAfter: Command = {
  name: 'passphrase wipe-after',
  synopsis: '<days>|off',
  summary: 'device.wipeAfter.summary',
  details: 'device.wipeAfter.details',
  json: ['--json: {"type":"wipe-after","profile","days"} (days: null when off)'],
  options: {},
  args: { min: 1, max: 1 },
  sharable: false,
  run: async (ctx, args) => (await import('../commands/device.js')).passphraseWipeAfter(ctx, args),
};

export const passphraseDuressClear: Command = {
  name: 'passphrase duress clear',
  synopsis: '',
  summary: 'device.duressClear.summary',
  details: 'device.duressClear.details',
  json: ['--json: {"type":"duress-cleared","profile"}'],
  options: {},
  args: { min: 0, max: 0 },
  sharable: false,
  run: async (ctx) => (await import('../commands/device.js')).passphraseDuressClear(ctx),
};
