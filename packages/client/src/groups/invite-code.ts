import { z } from 'zod';
import { InviteCodeError } from '../errors.js';

/**
 * Invite codes (docs/groups.md "Invites"): `<relayUrl>/join#<payload>` or `aviso1:<payload>`, with
 * payload = base64url(JSON {v:1, relayUrl, trustRootSha256, masterKey, inviteId, inviteSecret,
 * registrationToken?, head?}), every binary field base64url. The fragment never reaches a server.
 */

/**
 * The inviter's verified head (docs/groups.md "Checkpoints"): a joiner ties the log it is served to
 * it. `hash` is the first 16 bytes of the SHA-256 of the change at `version`.
 */
export interface InviteHead {
  version: number;
  hash: Uint8Array;
}

/** Bytes of the head change's hash an invite carries: 128 bits of second-preimage resistance, in a short code. */
export const INVITE_HEAD_HASH_BYTES = 16;

export interface InviteCode {
  relayUrl: string;
  /** SHA-256 of the relay's serialized trust root public key. */
  trustRootSha256: Uint8Array;
  masterKey: Uint8Array;
  /** Standard base64, as in group changes. */
  inviteId: string;
  inviteSecret: Uint8Array;
  registrationToken?: string | undefined;
  /** Absent in codes made by older clients: the joiner then verifies the whole log from version 0. */
  head?: InviteHead | undefined;
}

const PREFIX = 'aviso1:';
const MAX_CODE_LENGTH = 4096;

const b64url = (n: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .transform((s) => new Uint8Array(Buffer.from(s, 'base64url')))
    .refine((b) => b.length === n, `must be ${n} bytes`);

const Payload = z.object({
  v: z.literal(1),
  relayUrl: z.url({ protocol: /^https?$/ }),
  trustRootSha256: b64url(32),
  masterKey: b64url(32),
  inviteId: b64url(16),
  inviteSecret: b64url(32),
  registrationToken: z.string().min(1).max(128).optional(),
  head: z.object({ version: z.int().min(0), hash: b64url(INVITE_HEAD_HASH_BYTES) }).optional(),
});

export function encodeInviteCode(code: InviteCode, form: 'url' | 'bare' = 'url'): string {
  const enc = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  const json = {
    v: 1,
    relayUrl: code.relayUrl,
    trustRootSha256: enc(code.trustRootSha256),
    masterKey: enc(code.masterKey),
    inviteId: enc(Buffer.from(code.inviteId, 'base64')),
    inviteSecret: enc(code.inviteSecret),
    ...(code.registrationToken === undefined ? {} : { registrationToken: code.registrationToken }),
    ...(code.head === undefined ? {} : { head: { version: code.head.version, hash: enc(code.head.hash) } }),
  };
  const payload = Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
  return form === 'bare' ? `${PREFIX}${payload}` : `${code.relayUrl.replace(/\/+$/, '')}/join#${payload}`;
}

/** Parses either form; throws InviteCodeError for anything malformed or of an unknown version. */
export function parseInviteCode(input: string): InviteCode {
  const text = input.trim();
  if (text.length === 0 || text.length > MAX_CODE_LENGTH) throw new InviteCodeError('not an invite code');
  let payload: string;
  let urlRelay: string | undefined;
  if (text.startsWith(PREFIX)) {
    payload = text.slice(PREFIX.length);
  } else {
    const hash = text.indexOf('#');
    if (hash < 0) throw new InviteCodeError('not an invite code: no payload');
    const base = text.slice(0, hash);
    if (!base.endsWith('/join')) throw new InviteCodeError('not an invite code: expected <relay>/join#…');
    urlRelay = base.slice(0, -'/join'.length);
    payload = text.slice(hash + 1);
  }
  if (!/^[A-Za-z0-9_-]+$/.test(payload)) throw new InviteCodeError('invite code payload is not base64url');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new InviteCodeError('invite code payload is not JSON');
  }
  if (typeof json === 'object' && json !== null && 'v' in json && json.v !== 1) throw new InviteCodeError(`unsupported invite code version ${String(json.v)}`);
  const parsed = Payload.safeParse(json);
  if (!parsed.success) throw new InviteCodeError('invite code payload is malformed');
  const p = parsed.data;
  if (urlRelay !== undefined && normalizeRelayUrl(urlRelay) !== normalizeRelayUrl(p.relayUrl)) {
    throw new InviteCodeError('invite code link and payload name different relays');
  }
  return {
    relayUrl: p.relayUrl,
    trustRootSha256: p.trustRootSha256,
    masterKey: p.masterKey,
    inviteId: Buffer.from(p.inviteId).toString('base64'),
    inviteSecret: p.inviteSecret,
    ...(p.registrationToken === undefined ? {} : { registrationToken: p.registrationToken }),
    ...(p.head === undefined ? {} : { head: { version: p.head.version, hash: p.head.hash } }),
  };
}

/** Compares relay URLs as origins plus path, ignoring a trailing slash. */
export function normalizeRelayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url.replace(/\/+$/, '');
  }
}
