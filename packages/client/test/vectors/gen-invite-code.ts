// Writes packages/protocol/vectors/invite-code.json with the SDK's own code (run with
// `node --conditions=@aviso/source --import tsx packages/client/test/vectors/gen-invite-code.ts`);
// invite-code-vectors.test.ts parses and re-encodes every code, and the relay's vectors.test.ts
// serves the join info of the vector's invite.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { PrivateKey } from '@signalapp/libsignal-client';
import { inviteIdPathSegment } from '@aviso/protocol';
import { deriveInviteKeys, GroupKeys } from '../../src/crypto/group-keys.js';
import { InviteCodeError } from '../../src/errors.js';
import { encodeInviteCode, parseInviteCode, type InviteCode } from '../../src/groups/invite-code.js';
import { VECTOR_MASTER_KEY } from './fixed-keys.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const bytes = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (seed + i * 0x4d) & 0xff);

const trustRoot = PrivateKey.deserialize(bytes(32, 0x21)).getPublicKey().serialize();
// Starts with 0xfb 0xff 0xbf: "+/+/" in base64, "-_-_" in base64url.
const inviteIdBytes = new Uint8Array([0xfb, 0xff, 0xbf, ...bytes(13, 0xf8)]);
const inviteSecret = bytes(32, 0x3f);
// A token whose '~' lands where the payload's base64url has a '-', so the standard-alphabet payload differs.
const tokenFor = (suffix: string) => `tok-7Rk2mQ9xVw${suffix}`;
const payloadOf = (c: InviteCode) => encodeInviteCode(c, 'bare').slice('aviso1:'.length);
let code: InviteCode = {
  relayUrl: 'https://relay.example.org',
  trustRootSha256: new Uint8Array(createHash('sha256').update(trustRoot).digest()),
  masterKey: VECTOR_MASTER_KEY,
  inviteId: b64(inviteIdBytes),
  inviteSecret,
  registrationToken: tokenFor(''),
};
for (const suffix of ['~', 'x~', 'xx~']) {
  if (/[-_]/.test(payloadOf(code))) break;
  code = { ...code, registrationToken: tokenFor(suffix) };
}
const keys = deriveInviteKeys(inviteSecret);
const decoded = {
  relayUrl: code.relayUrl,
  trustRootSha256: hex(code.trustRootSha256),
  masterKey: hex(code.masterKey),
  inviteId: hex(inviteIdBytes),
  inviteSecret: hex(inviteSecret),
  registrationToken: code.registrationToken,
};
const derived = {
  trustRoot: b64(trustRoot),
  groupId: new GroupKeys(code.masterKey).groupId,
  inviteIdBase64: code.inviteId,
  inviteIdPath: inviteIdPathSegment(code.inviteId),
  relayPassword: b64(keys.relayPassword),
  passwordHash: b64(createHash('sha256').update(keys.relayPassword).digest()),
  signingKey: b64(keys.signingKey.getPublicKey().serialize()),
};

const link = encodeInviteCode(code);
const payload = link.slice(link.indexOf('#') + 1);
const payloadJson = Buffer.from(payload, 'base64url').toString('utf8');
const good = JSON.parse(payloadJson) as Record<string, unknown>;
// The vectors are only worth having if the encodings differ where it matters: check that they do.
if (!/[-_]/.test(payload) || !Object.values(good).some((v) => typeof v === 'string' && /[-_]/.test(v))) throw new Error('pick other bytes: no - or _ to tell base64url from base64');
if (payload.length % 4 === 0) throw new Error('pick other bytes: the padded payload would equal the unpadded one');

const withPayload = (json: unknown) => `aviso1:${Buffer.from(JSON.stringify(json), 'utf8').toString('base64url')}`;
const field = (name: string, value: unknown) => withPayload({ ...good, [name]: value });
const std = (s: string) => Buffer.from(s, 'base64url').toString('base64');

const vectors: unknown[] = [];
vectors.push({ comment: 'the link form, with a registration token: encodeInviteCode(decoded) gives exactly this string', code: link, form: 'url', encoded: true, payloadJson, valid: true, decoded, derived, tags: ['invite-code', 'link', 'sender'] });
// The inviter's verified head (docs/groups.md "Checkpoints"): version and the first 16 bytes of that change's SHA-256.
const head = { version: 3021, hash: new Uint8Array([0xfb, 0xef, ...bytes(14, 0x11)]) };
const headed = encodeInviteCode({ ...code, head }, 'bare');
const headedJson = Buffer.from(headed.slice('aviso1:'.length), 'base64url').toString('utf8');
vectors.push({ comment: 'the bare form with the inviter\'s head (version, first 16 bytes of the head change\'s SHA-256, unpadded base64url): encodeInviteCode(decoded) gives exactly this string; a reader that predates head ignores the field', code: headed, form: 'bare', encoded: true, payloadJson: headedJson, valid: true, decoded: { ...decoded, head: { version: head.version, hash: hex(head.hash) } }, derived, tags: ['invite-code', 'bare', 'head', 'sender'] });
const headedGood = JSON.parse(headedJson) as Record<string, unknown>;
vectors.push({ comment: 'a head hash of 15 bytes is malformed', code: withPayload({ ...headedGood, head: { version: 3021, hash: b64url(head.hash.subarray(0, 15)) } }), valid: false, errorCode: 'InviteCodeError', error: 'invite code payload is malformed', tags: ['invite-code', 'head'] });
vectors.push({ comment: 'a head hash in padded standard base64 is malformed', code: withPayload({ ...headedGood, head: { version: 3021, hash: Buffer.from(head.hash).toString('base64') } }), valid: false, errorCode: 'InviteCodeError', error: 'invite code payload is malformed', tags: ['invite-code', 'head'] });
const { registrationToken: _t, ...noToken } = code;
const bare = encodeInviteCode(noToken, 'bare');
const { registrationToken: _d, ...decodedNoToken } = decoded;
vectors.push({ comment: 'the bare form, without a registration token (the joiner is registered already)', code: bare, form: 'bare', encoded: true, payloadJson: Buffer.from(bare.slice('aviso1:'.length), 'base64url').toString('utf8'), valid: true, decoded: decodedNoToken, derived, tags: ['invite-code', 'bare', 'sender'] });
vectors.push({ comment: 'surrounding white space is trimmed, and a trailing slash in relayUrl does not make the link disagree with it', code: `  ${encodeInviteCode({ ...code, relayUrl: 'https://relay.example.org/' })}\n`, valid: true, decoded: { ...decoded, relayUrl: 'https://relay.example.org/' }, derived, tags: ['invite-code', 'link', 'lenient'] });
vectors.push({ comment: 'an unknown field in the payload is ignored (additive changes keep v: 1)', code: field('note', 'from a newer client'), valid: true, decoded, derived, tags: ['invite-code', 'forward-compatible'] });

const bad = (comment: string, text: string, tags: string[]) => {
  let error: string | undefined;
  try {
    parseInviteCode(text);
  } catch (err) {
    if (!(err instanceof InviteCodeError)) throw err;
    error = err.message;
  }
  if (error === undefined) throw new Error(`the SDK accepted: ${comment}`);
  vectors.push({ comment, code: text, valid: false, errorCode: 'InviteCodeError', error, tags: ['invite-code', ...tags] });
};
const mk = good.masterKey as string;
const base64Field = Object.entries(good).find(([, v]) => typeof v === 'string' && /[-_]/.test(v))!;
bad('a binary field padded with = (masterKey as padded base64url)', field('masterKey', `${mk}=`), ['field', 'padded']);
bad(`a binary field in the standard alphabet (${base64Field[0]} with + and /, no padding)`, field(base64Field[0], std(base64Field[1] as string).replace(/=+$/, '')), ['field', 'alphabet']);
bad('a binary field as padded standard base64 (what the rest of the protocol uses)', field('inviteId', code.inviteId), ['field', 'alphabet', 'padded']);
bad('masterKey of 31 bytes', field('masterKey', b64url(VECTOR_MASTER_KEY.subarray(1))), ['field', 'length']);
bad('inviteId of 17 bytes', field('inviteId', b64url(new Uint8Array([...inviteIdBytes, 0]))), ['field', 'length']);
bad('inviteSecret missing', field('inviteSecret', undefined), ['field', 'missing']);
bad('the payload padded with =', `${link}${'='.repeat(4 - (payload.length % 4))}`, ['payload', 'padded']);
bad('the payload in the standard alphabet', `aviso1:${std(payload)}`, ['payload', 'alphabet']);
bad('the payload wrapped at 76 characters (as a mail client or base64 -w 76 would)', `aviso1:${payload.replace(/(.{76})/g, '$1\n')}`, ['payload', 'wrapped']);
bad('the payload broken by a space', `aviso1:${payload.slice(0, 40)} ${payload.slice(40)}`, ['payload', 'wrapped']);
bad('a payload that is not JSON', `aviso1:${Buffer.from('not json').toString('base64url')}`, ['payload']);
bad('an unknown version', field('v', 2), ['version']);
bad('a relay URL that is not http(s)', field('relayUrl', 'ftp://relay.example.org'), ['field']);
bad('a link whose relay is not the payload relayUrl', link.replace('https://relay.example.org/join', 'https://evil.example/join'), ['link']);
bad('a link whose path is not /join', link.replace('/join#', '/other#'), ['link']);
bad('longer than 4,096 characters', `aviso1:${'A'.repeat(4100)}`, ['length']);

const file = {
  comment:
    'Invite codes (docs/groups.md "Invite codes"), made and parsed by the SDK (packages/client/test/vectors/gen-invite-code.ts). decoded holds the bytes in hex; in the code they are unpadded base64url. derived: what the joiner computes from them (the relay password travels base64 in aviso-invite-password; inviteIdBase64 is the id in group changes, inviteIdPath in the join-info path). Invalid vectors name the error the SDK throws (InviteCodeError) and its message.',
  vectors,
};
writeFileSync('packages/protocol/vectors/invite-code.json', JSON.stringify(file, null, 1) + '\n');
