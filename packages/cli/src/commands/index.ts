import type { Command } from '../command.js';
import { accept, join, register, verify } from './account.js';
import { app } from './app.js';
import { passphraseChange, passphraseSet, wipe } from './device.js';
import { ack, alert, alerts, allClear, confirm, dispute, retract, say } from './alerts.js';
import { groupCreate, groups, members, remove } from './groups.js';
import { approve, deny, invite, requests } from './invites.js';
import { listen } from './listen.js';

/** Every command, in the order `aviso --help` lists them (the order of the quick start). */
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
  passphraseSet,
  passphraseChange,
  wipe,
];
