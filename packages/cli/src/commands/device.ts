import { AUTO_WIPE_DAYS, changeProfilePassphrase, clearProfileDuressPassphrase, ensureProfileDir, protectProfile, setAutoWipe, setProfileDuressPassphrase, wipeProfile } from '@aviso/agent';
import { storeProtection } from '@aviso/client';
import { flag, stringOption, type Parsed } from '../command.js';
import { CliError, toCliError, usageError } from '../errors.js';
import { say } from '../lang.js';
import { currentPassphrase, newDuressPassphrase, newPassphrase } from '../passphrase.js';
import type { Context } from '../session.js';

// What the seized-device commands do; their names, help and flags are in ../catalog/device.ts.

export async function wipe(ctx: Context, args: Parsed): Promise<void> {
  const name = ctx.profile.name;
  if (!flag(args, 'yes')) {
    if (!ctx.io.stdinIsTTY) throw usageError('`aviso wipe` asks for confirmation at a terminal; give --yes to wipe without asking');
    ctx.io.err(`This destroys profile "${name}" (${ctx.profile.dir}): its identity, groups and alerts, with no way back.`);
    const typed = (await ctx.io.prompt(`Type the profile name (${name}) to wipe it: `)).trim();
    if (typed !== name) throw new CliError('NOT_CONFIRMED', `"${typed}" is not "${name}" — nothing was wiped`);
  }
  const existed = wipeProfile(ctx.profile);
  ctx.out.emit({ type: 'wiped', profile: name, existed }, existed ? `profile "${name}" wiped: its keys were destroyed and its folder removed` : `profile "${name}" has nothing on this device: nothing to wipe`);
}

export async function passphraseSet(ctx: Context, args: Parsed): Promise<void> {
  const protection = safeProtection(ctx.profile.dir, ctx.errors);
  if (protection === 'passphrase') throw new CliError('ALREADY_PROTECTED', `profile "${ctx.profile.name}" already has a passphrase — change it with \`aviso passphrase change\``);
  if (protection === 'key-file') throw new CliError('NOT_PASSPHRASE_PROTECTED', `profile "${ctx.profile.name}" is encrypted with a key file, not a passphrase`);
  const next = await newPassphrase(ctx.io, stringOption(args, 'new-passphrase-file'));
  await protectProfile(ctx.profile, next);
  ctx.out.emit({ type: 'passphrase-set', profile: ctx.profile.name }, `profile "${ctx.profile.name}" is now encrypted with your passphrase — keep it safe: there is no recovery`);
}

export async function passphraseChange(ctx: Context, args: Parsed): Promise<void> {
  const protection = safeProtection(ctx.profile.dir, ctx.errors);
  if (protection !== 'passphrase') {
    throw new CliError('NOT_PASSPHRASE_PROTECTED', protection === 'none' ? `profile "${ctx.profile.name}" has no passphrase yet — set one with \`aviso passphrase set\`` : `profile "${ctx.profile.name}" is encrypted with a key file, not a passphrase`);
  }
  const current = await currentPassphrase(ctx.io, ctx.passphraseFile, ctx.profile.name);
  const next = await newPassphrase(ctx.io, stringOption(args, 'new-passphrase-file'));
  await changeProfilePassphrase(ctx.profile, current, next);
  ctx.out.emit({ type: 'passphrase-changed', profile: ctx.profile.name }, `the passphrase of profile "${ctx.profile.name}" was changed`);
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
  if (days !== undefined && !(days >= AUTO_WIPE_DAYS.min && days <= AUTO_WIPE_DAYS.max)) throw usageError(say('device.wipeAfter.bad'));
  ensureProfileDir(ctx.profile);
  setAutoWipe(ctx.profile, days);
  ctx.out.emit({ type: 'wipe-after', profile: ctx.profile.name, days: days ?? null }, days === undefined ? say('device.wipeAfter.off', { profile: ctx.profile.name }) : say('device.wipeAfter.on', { profile: ctx.profile.name, days }));
}

function requirePassphrase(ctx: Context): void {
  const protection = safeProtection(ctx.profile.dir, ctx.errors);
  if (protection === 'none') throw new CliError('NOT_PASSPHRASE_PROTECTED', say('device.duress.needsPassphrase', { profile: ctx.profile.name }));
  if (protection === 'key-file') throw new CliError('NOT_PASSPHRASE_PROTECTED', say('device.duress.keyFile', { profile: ctx.profile.name }));
}

function safeProtection(dir: string, errors: Parameters<typeof toCliError>[1]): ReturnType<typeof storeProtection> {
  try {
    return storeProtection(dir);
  } catch (err) {
    throw toCliError(err, errors);
  }
}
