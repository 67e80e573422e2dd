import { changeProfilePassphrase, protectProfile, wipeProfile } from '@aviso/agent';
import { storeProtection } from '@aviso/client';
import { flag, stringOption, type Command } from '../command.js';
import { CliError, toCliError, usageError } from '../errors.js';
import { currentPassphrase, newPassphrase } from '../passphrase.js';

/** The seized-device commands: wipe, and setting or changing the profile's passphrase (docs/threat-model.md). */

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
  async run(ctx, args) {
    const name = ctx.profile.name;
    if (!flag(args, 'yes')) {
      if (!ctx.io.stdinIsTTY) throw usageError('`aviso wipe` asks for confirmation at a terminal; give --yes to wipe without asking');
      ctx.io.err(`This destroys profile "${name}" (${ctx.profile.dir}): its identity, groups and alerts, with no way back.`);
      const typed = (await ctx.io.prompt(`Type the profile name (${name}) to wipe it: `)).trim();
      if (typed !== name) throw new CliError('NOT_CONFIRMED', `"${typed}" is not "${name}" — nothing was wiped`);
    }
    const existed = wipeProfile(ctx.profile);
    ctx.out.emit({ type: 'wiped', profile: name, existed }, existed ? `profile "${name}" wiped: its keys were destroyed and its folder removed` : `profile "${name}" has nothing on this device: nothing to wipe`);
  },
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
  async run(ctx, args) {
    const protection = safeProtection(ctx.profile.dir, ctx.errors);
    if (protection === 'passphrase') throw new CliError('ALREADY_PROTECTED', `profile "${ctx.profile.name}" already has a passphrase — change it with \`aviso passphrase change\``);
    if (protection === 'key-file') throw new CliError('NOT_PASSPHRASE_PROTECTED', `profile "${ctx.profile.name}" is encrypted with a key file, not a passphrase`);
    const next = await newPassphrase(ctx.io, stringOption(args, 'new-passphrase-file'));
    await protectProfile(ctx.profile, next);
    ctx.out.emit({ type: 'passphrase-set', profile: ctx.profile.name }, `profile "${ctx.profile.name}" is now encrypted with your passphrase — keep it safe: there is no recovery`);
  },
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
  async run(ctx, args) {
    const protection = safeProtection(ctx.profile.dir, ctx.errors);
    if (protection !== 'passphrase') {
      throw new CliError('NOT_PASSPHRASE_PROTECTED', protection === 'none' ? `profile "${ctx.profile.name}" has no passphrase yet — set one with \`aviso passphrase set\`` : `profile "${ctx.profile.name}" is encrypted with a key file, not a passphrase`);
    }
    const current = await currentPassphrase(ctx.io, ctx.passphraseFile, ctx.profile.name);
    const next = await newPassphrase(ctx.io, stringOption(args, 'new-passphrase-file'));
    await changeProfilePassphrase(ctx.profile, current, next);
    ctx.out.emit({ type: 'passphrase-changed', profile: ctx.profile.name }, `the passphrase of profile "${ctx.profile.name}" was changed`);
  },
};

function safeProtection(dir: string, errors: Parameters<typeof toCliError>[1]): ReturnType<typeof storeProtection> {
  try {
    return storeProtection(dir);
  } catch (err) {
    throw toCliError(err, errors);
  }
}
