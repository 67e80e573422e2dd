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
