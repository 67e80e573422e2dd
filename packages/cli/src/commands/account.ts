import { pastedInviteCode } from '@aviso/agent';
import { fetchRelayFingerprint, normalizeDisplayName, parseFingerprint, parseInviteCode, type AvisoClient, type GroupMember, type RelayFingerprint } from '@aviso/client';
import { limited } from '../args.js';
import { flag, type Parsed } from '../command.js';
import { cliError, usageError } from '../errors.js';
import { formatSafetyNumber, shortId } from '../format.js';
import { say } from '../lang.js';
import { personName } from '../people.js';
import { readSettings, writeSettings } from '../profile.js';
import { resolveOne } from '../resolve.js';
import { argumentOrFile } from '../secret-input.js';
import { checkRelay, withClient, type Context } from '../session.js';
import { terminalText } from '../terminal-text.js';
import { activeGroups } from './lookup.js';

// What the account commands do; their names, help and flags are in ../catalog/account.ts.

const MAX_NAME = 64;

/** A relay address from the command line: http:// or https://, else a usage error. */
function relayAddress(relayUrl: string): string {
  let url: URL;
  try {
    url = new URL(relayUrl);
  } catch {
    throw usageError('cli.usage.relayAddress', { url: relayUrl });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError('cli.usage.relayScheme', { url: relayUrl });
  return relayUrl;
}

/** The fingerprint as the terminal shows it: its 4 lines of 4 groups, indented under a heading. */
function fingerprintText(heading: string, f: RelayFingerprint): string[] {
  return [heading, ...f.lines.map((l) => `  ${l}`)];
}

export async function register(ctx: Context, { positionals, values }: Parsed): Promise<void> {
  const relayUrl = relayAddress(positionals[0]!);
  const token = (await argumentOrFile(ctx.io, positionals[1], stringValue(values['token-file']), 'token')).trim();
  const name = typeof values['name'] === 'string' ? limited(normalizeDisplayName(values['name']), MAX_NAME, 'cli.what.name') : undefined;
  let expectFingerprint: string | undefined;
  if (typeof values['fingerprint'] === 'string') {
    try {
      expectFingerprint = parseFingerprint(values['fingerprint']);
    } catch {
      throw usageError('cli.fp.usage.fingerprint');
    }
  }
  ctx.errors.relayUrl = relayUrl;
  await withClient(ctx, { connect: false, forward: false }, async (client) => {
    if (client.isRegistered) {
      throw cliError('ALREADY_REGISTERED', 'cli.error.alreadyRegistered', { profile: ctx.profile.name, account: client.accountId });
    }
    await checkRelay(relayUrl);
    const { accountId, deviceId } = await client.register({ relayUrl, registrationToken: token, expectFingerprint });
    if (name) writeSettings(client, { ...readSettings(client), displayName: name });
    const pinned = client.relayFingerprint;
    ctx.out.emit(
      { type: 'registered', profile: ctx.profile.name, accountId, deviceId, relayUrl, relayFingerprint: { sha256Hex: pinned.sha256Hex, lines: pinned.lines } },
      [
        say('cli.fp.registered', { profile: ctx.profile.name, url: terminalText(relayUrl), account: accountId }),
        ...fingerprintText(say('cli.fp.pinned'), pinned),
        expectFingerprint ? say('cli.fp.checked') : say('cli.fp.compare'),
        say('cli.next.createOrJoin', { create: ctx.suggest('group create "<title>"'), join: ctx.suggest('join <invite-code>') }),
      ],
    );
  });
}

/**
 * `aviso fingerprint`: the pinned relay's fingerprint; `aviso fingerprint <relay-url>`: the
 * fingerprint of a relay before registering with it (no profile is opened or created).
 */
export async function fingerprint(ctx: Context, { positionals }: Parsed): Promise<void> {
  const relayUrl = positionals[0];
  if (relayUrl !== undefined) {
    relayAddress(relayUrl);
    ctx.errors.relayUrl = relayUrl;
    await checkRelay(relayUrl);
    const f = await fetchRelayFingerprint(relayUrl);
    ctx.out.emit({ type: 'relay-fingerprint', relayUrl, pinned: false, sha256Hex: f.sha256Hex, lines: f.lines }, [
      ...fingerprintText(say('cli.fp.fetched', { url: terminalText(relayUrl) }), f),
      say('cli.fp.compare'),
    ]);
    return;
  }
  await withClient(ctx, { connect: false }, async (client) => {
    const f = client.relayFingerprint; // NotRegisteredError for a fresh profile
    ctx.out.emit({ type: 'relay-fingerprint', relayUrl: client.relayUrl, pinned: true, sha256Hex: f.sha256Hex, lines: f.lines }, [
      ...fingerprintText(say('cli.fp.pinned'), f),
      say('cli.fp.compare'),
    ]);
  });
}

export async function join(ctx: Context, { positionals, values }: Parsed): Promise<void> {
  // Pasted from a chat, a code may be wrapped over lines: the input layer drops the whitespace.
  const code = pastedInviteCode(await argumentOrFile(ctx.io, positionals[0], stringValue(values['code-file']), 'code'));
  const invite = parseInviteCode(code); // a bad code fails before we ask anything
  ctx.errors.relayUrl = invite.relayUrl;
  const name = limited(normalizeDisplayName(await displayName(ctx, values['name'])), MAX_NAME, 'cli.what.name');
  await withClient(ctx, { connect: false, forward: false }, async (client) => {
    if (!client.isRegistered) await checkRelay(invite.relayUrl);
    const group = await client.join(code, { displayName: name });
    writeSettings(client, { ...readSettings(client), displayName: name });
    const status = group.status;
    ctx.out.emit(
      { type: 'joined', profile: ctx.profile.name, accountId: client.accountId, groupId: group.id, group: group.title, status },
      status === 'pending'
        ? [say('cli.joinPending', { group: terminalText(group.title), name })]
        : [say('cli.joined', { group: terminalText(group.title), name }), say('cli.next', { command: ctx.suggest('listen') })],
    );
  });
}

function stringValue(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

async function displayName(ctx: Context, given: string | boolean | undefined): Promise<string> {
  if (typeof given === 'string') {
    if (given.trim() === '') throw usageError('cli.usage.emptyName');
    return given.trim();
  }
  if (!ctx.io.stdinIsTTY) throw cliError('NEEDS_NAME', 'cli.error.needsName', undefined, 2);
  const answer = (await ctx.io.prompt(say('cli.prompt.name'))).trim();
  if (!answer) throw usageError('cli.usage.nameNeeded');
  return answer;
}

export async function verify(ctx: Context, args: Parsed): Promise<void> {
  await withClient(ctx, { connect: true }, async (client) => {
    const member = await findPerson(client, args.positionals[0]!);
    const digits = await client.safetyNumber(member.accountId);
    const mark = flag(args, 'mark');
    if (mark) client.setVerified(member.accountId, true);
    const who = personLabel(member);
    ctx.out.emit(
      { type: 'safety-number', accountId: member.accountId, displayName: member.displayName, safetyNumber: digits, verified: mark },
      [
        say('cli.safetyNumber', { who }),
        ...formatSafetyNumber(digits).map((l) => `  ${l}`),
        mark ? say('cli.verified') : say('cli.ifItMatches', { command: ctx.suggest(`verify ${shortId(member.accountId)} --mark`) }),
      ],
    );
  });
}

export async function accept(ctx: Context, args: Parsed): Promise<void> {
  await withClient(ctx, { connect: true }, async (client) => {
    const member = await findPerson(client, args.positionals[0]!);
    const digits = await client.safetyNumber(member.accountId);
    const accepted = client.acceptIdentity(member.accountId);
    const who = personLabel(member);
    ctx.out.emit(
      { type: 'identity-accepted', accountId: member.accountId, displayName: member.displayName, accepted, safetyNumber: digits },
      [
        say(accepted ? 'cli.accepted' : 'cli.nothingToAccept', { who }),
        ...formatSafetyNumber(digits).map((l) => `  ${l}`),
      ],
    );
  });
}

/** A person as `verify` and `accept` name them: the (sanitised) name and short id, or the whole id. */
function personLabel(member: Pick<GroupMember, 'accountId' | 'displayName'>): string {
  return member.displayName ? `${personName(member)} (${shortId(member.accountId)})` : member.accountId;
}

async function findPerson(client: AvisoClient, query: string): Promise<Pick<GroupMember, 'accountId' | 'displayName'>> {
  const people = new Map<string, Pick<GroupMember, 'accountId' | 'displayName'>>();
  for (const group of await activeGroups(client)) {
    for (const m of await group.members()) if (m.accountId !== client.accountId && !people.has(m.accountId)) people.set(m.accountId, m);
  }
  const list = [...people.values()];
  if (/^[0-9a-f-]{36}$/i.test(query) && !people.has(query.toLowerCase())) return { accountId: query.toLowerCase(), displayName: undefined };
  return resolveOne(list, query, { kind: 'member', id: (m) => m.accountId, name: (m) => m.displayName, listCommand: 'aviso members <group>' });
}

/** The name `group create` uses when --name is not given. */
export function savedName(client: AvisoClient, given: string | undefined): string | undefined {
  return given ?? readSettings(client).displayName;
}

