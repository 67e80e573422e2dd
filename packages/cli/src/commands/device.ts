import { AUTO_WIPE_DAYS, changeProfilePassphrase, clearProfileDuressPassphrase, ensureProfileDir, protectProfile, setAutoWipe, setProfileDuressPassphrase, wipeProfile } from '@aviso/agent';
import { storeProtection } from '@aviso/client';
import { flag, stringOption, type Parsed } from '../command.js';
import { cliError, toCliError, usageError } from '../errors.js';
import { say } from '../lang.js';
import { currentPassphrase, newDuressPassphrase, newPassphrase } from '../passphrase.js';
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

export async function passphraseDuressSet(ctx: Context, args: Parsed): Promise<void> {
  requirePassphrase(ctx);
  const current = await currentPassphrase(ctx.io, ctx.passphraseFile, ctx.profile.name);
  const duress = await newDuressPassphrase(ctx.io, stringOption(args, 'duress-passphrase-file'));
  await setProfileDuressPassphrase(ctx.profile, current, duress);
  ctx.out.emit({ type: 'duress-set', profile: ctx.profile.name }, say('device.duressSet.done', { profile: ctx.profile.name }));
}

export async function passphraseDuressClear(ctx: Context): Promise<void> {
  requirePassphrase(ctx);
  const current = await currentPassphrase(ctx.io, ctx.passphraseFile, ctx.profile.name);
  await clearProfileDuressPassphrase(ctx.profile, current);
  ctx.out.emit({ type: 'duress-cleared', profile: ctx.profile.name }, say('device.duressClear.done', { profile: ctx.profile.name }));
}

export async function passphraseWipeAfter(ctx: Context, args: Parsed): Promise<void> {
  const given = args.positionals[0]!.trim().toLowerCase();
  const days = given === 'off' ? undefined : /^\d{1,3}$/.test(given) ? Number(given) : Number.NaN;
  if (days !== undefined && !(days >= AUTO_WIPE_DAYS.min && days <= AUTO_WIPE_DAYS.max)) throw usageError('device.wipeAfter.bad');
  ensureProfileDir(ctx.profile);
  setAutoWipe(ctx.profile, days);
  ctx.out.emit({ type: 'wipe-after', profile: ctx.profile.name, days: days ?? null }, days === undefined ? say('device.wipeAfter.off', { profile: ctx.profile.name }) : say('device.wipeAfter.on', { profile: ctx.profile.name, days }));
}

function requirePassphrase(ctx: Context): void {
  const protection = safeProtection(ctx.profile.dir, ctx.errors);
  if (protection === 'none') throw cliError('NOT_PASSPHRASE_PROTECTED', 'device.duress.needsPassphrase', { profile: ctx.profile.name });
  if (protection === 'key-file') throw cliError('NOT_PASSPHRASE_PROTECTED', 'device.duress.keyFile', { profile: ctx.profile.name });
}

function safeProtection(dir: string, errors: Parameters<typeof toCliError>[1]): ReturnType<typeof storeProtection> {
  try {
    return storeProtection(dir);
  } catch (err) {
    throw toCliError(err, errors);
  }
}
