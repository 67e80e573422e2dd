import { changeProfilePassphrase, protectProfile, wipeProfile } from '@aviso/agent';
import { storeProtection } from '@aviso/client';
import { flag, stringOption, type Parsed } from '../command.js';
import { cliError, toCliError, usageError } from '../errors.js';
import { say } from '../lang.js';
import { currentPassphrase, newPassphrase } from '../passphrase.js';
import type { Context } from '../session.js';

// What the seized-device commands do; their names, help and flags are in ../catalog/device.ts.

export async function wipe(ctx: Context, args: Parsed): Promise<void> {
  const name = ctx.profile.name;
  if (!flag(args, 'yes')) {
    if (!ctx.io.stdinIsTTY) throw usageError('cli.usage.wipeNeedsTerminal');
    ctx.io.err(say('cli.wipe.warning', { profile: name, dir: ctx.profile.dir }));
    const typed = (await ctx.io.prompt(say('cli.wipe.prompt', { profile: name }))).trim();
    if (typed !== name) throw cliError('NOT_CONFIRMED', 'cli.error.notConfirmedWipe', { typed, profile: name });
  }
  const existed = wipeProfile(ctx.profile);
  ctx.out.emit({ type: 'wiped', profile: name, existed }, say(existed ? 'cli.wiped' : 'cli.wipe.nothing', { profile: name }));
}

export async function passphraseSet(ctx: Context, args: Parsed): Promise<void> {
  const protection = safeProtection(ctx.profile.dir, ctx.errors);
  const profile = ctx.profile.name;
  if (protection === 'passphrase') throw cliError('ALREADY_PROTECTED', 'cli.error.alreadyProtected', { profile });
  if (protection === 'key-file') throw cliError('NOT_PASSPHRASE_PROTECTED', 'cli.error.keyFileNotPassphrase', { profile });
  const next = await newPassphrase(ctx.io, stringOption(args, 'new-passphrase-file'));
  await protectProfile(ctx.profile, next);
  ctx.out.emit({ type: 'passphrase-set', profile: ctx.profile.name }, say('cli.passphrase.set', { profile }));
}

export async function passphraseChange(ctx: Context, args: Parsed): Promise<void> {
  const protection = safeProtection(ctx.profile.dir, ctx.errors);
  if (protection !== 'passphrase') {
    throw cliError('NOT_PASSPHRASE_PROTECTED', protection === 'none' ? 'cli.error.noPassphraseYet' : 'cli.error.keyFileNotPassphrase', { profile: ctx.profile.name });
  }
  const current = await currentPassphrase(ctx.io, ctx.passphraseFile, ctx.profile.name);
  const next = await newPassphrase(ctx.io, stringOption(args, 'new-passphrase-file'));
  await changeProfilePassphrase(ctx.profile, current, next);
  ctx.out.emit({ type: 'passphrase-changed', profile: ctx.profile.name }, say('cli.passphrase.changed', { profile: ctx.profile.name }));
}

function safeProtection(dir: string, errors: Parameters<typeof toCliError>[1]): ReturnType<typeof storeProtection> {
  try {
    return storeProtection(dir);
  } catch (err) {
    throw toCliError(err, errors);
  }
}
