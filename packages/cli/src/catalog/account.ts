import type { Command } from '../command.js';
import { say } from '../lang.js';

// Their code: ../commands/account.ts, loaded when one of them runs.
const code = () => import('../commands/account.js');

export const register: Command = {
  name: 'register',
  synopsis: '<relay-url> (<token> | --token-file FILE) [--name NAME] [--fingerprint HEX]',
  summary: 'create this profile\'s account on a relay with a registration token',
  details: [
    'The relay operator creates tokens with `npm run relay -- token create`.',
    '--name NAME          the name your groups will see (used by `group create`; `join` asks again)',
    ...say('cli.robust.help.tokenFile').split('\n'),
    '--fingerprint HEX    the relay fingerprint your organiser gave you (`aviso-relay info`): registers',
    '                     only if the relay has it (see it first with `aviso fingerprint <relay-url>`)',
    'Prints the account id and the relay fingerprint it pinned.',
    '--json: {"type":"registered","profile","accountId","deviceId","relayUrl","relayFingerprint":{"sha256Hex","lines"}}',
  ],
  options: { name: { type: 'string' }, fingerprint: { type: 'string' }, 'token-file': { type: 'string' } },
  args: { min: 1, max: 2 },
  sharable: false,
  run: async (ctx, args) => (await code()).register(ctx, args),
};

export const fingerprint: Command = {
  name: 'fingerprint',
  synopsis: '[<relay-url>]',
  summary: 'show the relay fingerprint to compare with your organiser\'s (this profile\'s, or a relay\'s before registering)',
  details: [
    'Without an address: the fingerprint of the relay this profile is registered with (pinned).',
    'With an address: that relay\'s fingerprint, read before registering (no profile is opened).',
    'The same 16 groups of 4 that `aviso-relay info` prints; if any group differs, stop.',
    '--json: {"type":"relay-fingerprint","relayUrl","pinned","sha256Hex","lines"}',
  ],
  args: { min: 0, max: 1 },
  sharable: true,
  run: async (ctx, args) => (await code()).fingerprint(ctx, args),
};

export const join: Command = {
  name: 'join',
  synopsis: '(<invite-code> | --code-file FILE) [--name NAME]',
  summary: 'join a group with an invite code (registers this profile if needed)',
  details: [
    '--name NAME   your name as the group sees it; asked on the terminal when omitted',
    ...say('cli.robust.help.codeFile').split('\n'),
    'Invites that need approval leave you "pending" until an admin runs `aviso approve`.',
    '--json: {"type":"joined","profile","accountId","groupId","group","status":"member"|"pending"}',
  ],
  options: { name: { type: 'string' }, 'code-file': { type: 'string' } },
  args: { min: 0, max: 1 },
  sharable: false,
  run: async (ctx, args) => (await code()).join(ctx, args),
};

export const verify: Command = {
  name: 'verify',
  synopsis: '<member> [--mark]',
  summary: 'show the safety number to compare with a member in person',
  details: [
    '<member> is a display name, an account id, or a unique id prefix, from any of your groups.',
    'Compare the 60 digits face to face or on a call; if they match, run again with --mark so sending',
    'stops should their key ever change.',
    '--json: {"type":"safety-number","accountId","displayName","safetyNumber","verified"}',
  ],
  options: { mark: { type: 'boolean' } },
  args: { min: 1, max: 1 },
  sharable: true,
  run: async (ctx, args) => (await code()).verify(ctx, args),
};

export const accept: Command = {
  name: 'accept',
  synopsis: '<member>',
  summary: 'accept a member\'s new safety number after it changed, so messages to them go out again',
  details: [
    '<member> is a display name, an account id, or a unique id prefix, from any of your groups.',
    'When a member\'s key changes (a new phone, or someone impersonating them), sending to them stops.',
    'Compare the new safety number with them first (`aviso verify <member>`), then accept it here.',
    '--json: {"type":"identity-accepted","accountId","displayName","accepted","safetyNumber"}',
  ],
  options: {},
  args: { min: 1, max: 1 },
  sharable: true,
  run: async (ctx, args) => (await code()).accept(ctx, args),
};
