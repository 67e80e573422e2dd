import type { Command } from '../command.js';
import { accept, fingerprint, join, register, verify } from './account.js';
import { passphraseChange, passphraseDuressClear, passphraseDuressSet, passphraseSet, passphraseWipeAfter, wipe } from './device.js';
import { ack, alert, alerts, allClear, confirm, dispute, retract, say } from './alerts.js';
import { groupCreate, groups, members, remove } from './groups.js';
import { approve, deny, invite, requests } from './invites.js';
import { app, listen } from './sessions.js';

/**
 * Every command, in the order `aviso --help` lists them (the order of the quick start). The catalog
 * holds each command's name, help and flags; its code (and with it the SDK: libsignal, SQLite) is
 * imported only when it runs, so `--help`, a usage error or a command handed to a running `listen`
 * start in a fraction of the time. A test (tests/e2e/cli-startup.test.ts) holds that line.
 */
export const COMMANDS: readonly Command[] = [
  register,
  join,
  groups,
  groupCreate,
  invite,
  requests,
  approve,
  deny,
  members,
  remove,
  alert,
  alerts,
  ack,
  confirm,
  dispute,
  retract,
  allClear,
  say,
  listen,
  app,
  verify,
  accept,
  fingerprint,
  passphraseSet,
  passphraseChange,
  passphraseDuressSet,
  passphraseDuressClear,
  passphraseWipeAfter,
  wipe,
];
