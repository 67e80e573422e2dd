import type { Command } from '../command.js';

// Their code: ../commands/account.ts, loaded when one of them runs.
const code = () => import('../commands/account.js');

export const register: Command = {
  name: 'register',
  synopsis: '<relay-url> (<token> | --token-file FILE) [--name NAME] [--fingerprint HEX]',
  summary: 'cli.cmd.register',
  details: ['cli.cmd.register.details', 'cli.robust.help.tokenFile', 'cli.fp.help.register'],
  json: ['--json: {"type":"registered","profile","accountId","deviceId","relayUrl","relayFingerprint":{"sha256Hex","lines"}}'],
  options: { name: { type: 'string' }, fingerprint: { type: 'string' }, 'token-file': { type: 'string' } },
  args: { min: 1, max: 2 },
  sharable: false,
  run: async (ctx, args) => (await code()).register(ctx, args),
};

export const fingerprint: Command = {
  name: 'fingerprint',
  synopsis: '[<relay-url>]',
  summary: 'cli.fp.help.summary',
  details: 'cli.fp.help.details',
  json: ['--json: {"type":"relay-fingerprint","relayUrl","pinned","sha256Hex","lines"}'],
  args: { min: 0, max: 1 },
  sharable: true,
  run: async (ctx, args) => (await code()).fingerprint(ctx, args),
};

export const join: Command = {
  name: 'join',
  synopsis: '(<invite-code> | --code-file FILE) [--name NAME]',
  summary: 'cli.cmd.join',
  details: ['cli.cmd.join.details', 'cli.robust.help.codeFile'],
  json: ['--json: {"type":"joined","profile","accountId","groupId","group","status":"member"|"pending"}'],
  options: { name: { type: 'string' }, 'code-file': { type: 'string' } },
  args: { min: 0, max: 1 },
  sharable: false,
  run: async (ctx, args) => (await code()).join(ctx, args),
};

export const verify: Command = {
  name: 'verify',
  synopsis: '<member> [--mark]',
  summary: 'cli.cmd.verify',
  details: 'cli.cmd.verify.details',
  json: ['--json: {"type":"safety-number","accountId","displayName","safetyNumber","verified"}'],
  options: { mark: { type: 'boolean' } },
  args: { min: 1, max: 1 },
  sharable: true,
  run: async (ctx, args) => (await code()).verify(ctx, args),
};

export const accept: Command = {
  name: 'accept',
  synopsis: '<member>',
  summary: 'cli.cmd.accept',
  details: 'cli.cmd.accept.details',
  json: ['--json: {"type":"identity-accepted","accountId","displayName","accepted","safetyNumber"}'],
  options: {},
  args: { min: 1, max: 1 },
  sharable: true,
  run: async (ctx, args) => (await code()).accept(ctx, args),
};
