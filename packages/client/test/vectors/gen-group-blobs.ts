// Writes packages/protocol/vectors/group-blobs.json with the SDK's own code (run with
// `node --conditions=@aviso/source --import tsx packages/client/test/vectors/gen-group-blobs.ts`);
// group-blobs-vectors.test.ts decrypts and reads every blob through the SDK and re-encrypts it.
import { writeFileSync } from 'node:fs';
import { pad } from '@aviso/protocol';
import { attributesValue, openAttributes, openDisplayName, profileValue } from '../../src/crypto/group-blobs.js';
import { blobPlaintext, GroupKeys } from '../../src/crypto/group-keys.js';
import { VECTOR_MASTER_KEY } from './fixed-keys.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const keys = new GroupKeys(VECTOR_MASTER_KEY);
let seed = 0;

/** One vector from the exact JSON text inside; `padTo` overrides the 256-byte padding block. */
function vector(kind: 'attributes' | 'profile', comment: string, json: string, tags: string[], opts: { encoded?: boolean; padTo?: number } = {}) {
  const utf8 = new TextEncoder().encode(json);
  const plaintext = opts.padTo === undefined ? blobPlaintext(JSON.parse(json)) : new Uint8Array(pad(utf8, opts.padTo));
  if (opts.padTo === undefined && Buffer.compare(plaintext.subarray(0, utf8.length), utf8) !== 0) throw new Error(`JSON.stringify does not give back: ${json}`);
  const randomness = new Uint8Array(32).fill(++seed);
  const blob = b64(keys.cipher.encryptBlobWithRandom(randomness, plaintext));
  const decoded = kind === 'attributes' ? openAttributes(keys, blob) : { displayName: openDisplayName(keys, blob) };
  return { kind, comment, masterKey: hex(VECTOR_MASTER_KEY), json, plaintext: b64(plaintext), randomness: hex(randomness), blob, decoded, ...(opts.encoded ? { encoded: true } : {}), tags: [kind, ...tags] };
}

const attrs = (a: Parameters<typeof attributesValue>[0]) => JSON.stringify(attributesValue(a));
const vectors = [
  vector('attributes', 'what the SDK writes: every field, in this order; announcementsOnly true', attrs({ title: 'Compton responders', description: 'night shift, 5th to Alondra', announcementsOnly: true }), ['sender', 'announcements-only'], { encoded: true }),
  vector('attributes', 'what the SDK writes for a group that is not announcements-only, with an empty description', attrs({ title: 'Dispatchers', description: '', announcementsOnly: false }), ['sender'], { encoded: true }),
  vector('attributes', 'non-ASCII text is UTF-8 inside the JSON (JSON.stringify does not escape it)', attrs({ title: 'Respuesta rápida 🚨', description: 'Año nuevo', announcementsOnly: false }), ['sender', 'utf8'], { encoded: true }),
  vector('attributes', 'description and announcementsOnly absent: read as "" and false (what an older writer sends)', JSON.stringify({ v: 1, title: 'Legal observers' }), ['defaults']),
  vector('attributes', 'an unknown field is ignored', JSON.stringify({ v: 1, title: 'Legal observers', description: 'x', announcementsOnly: true, colour: 'red' }), ['forward-compatible', 'announcements-only']),
  vector('attributes', 'any valid padding is read: the JSON and 0x80 with no zeros after it', JSON.stringify({ v: 1, title: 'Legal observers', description: '', announcementsOnly: true }), ['padding'], { padTo: 1 }),
  vector('attributes', 'an unknown version is unreadable: the group reads as untitled and not announcements-only', JSON.stringify({ v: 2, title: 'Legal observers', description: '', announcementsOnly: true }), ['unreadable', 'version']),
  vector('attributes', 'announcementsOnly that is not a boolean makes the whole blob unreadable (untitled, not announcements-only)', JSON.stringify({ v: 1, title: 'Legal observers', description: '', announcementsOnly: 'yes' }), ['unreadable', 'announcements-only']),
  vector('profile', 'a member profile: what the SDK writes', JSON.stringify(profileValue('Ana R.')), ['sender'], { encoded: true }),
  vector('profile', 'an unreadable profile reads as an empty display name', JSON.stringify({ v: 1, name: 'Ana R.' }), ['unreadable']),
  vector('attributes', 'what the SDK writes once an admin set a retention: retentionSeconds last (v stays 1: older members ignore it)', attrs({ title: 'Night watch', description: '', announcementsOnly: false, retentionSeconds: 21600 }), ['sender', 'retention'], { encoded: true }),
  vector('attributes', 'a retention below the minimum (another writer) reads as the minimum, one hour', JSON.stringify({ v: 1, title: 'Night watch', description: '', announcementsOnly: false, retentionSeconds: 60 }), ['retention', 'clamped']),
  vector('attributes', 'a retention above the maximum reads as the maximum, 30 days', JSON.stringify({ v: 1, title: 'Night watch', description: '', announcementsOnly: false, retentionSeconds: 9999999999 }), ['retention', 'clamped']),
  vector('attributes', 'a retention that is not a whole number makes the whole blob unreadable (untitled, default retention)', JSON.stringify({ v: 1, title: 'Night watch', description: '', announcementsOnly: false, retentionSeconds: '1h' }), ['unreadable', 'retention']),
];
const file = {
  comment:
    'Encrypted group blobs (docs/groups.md "Blobs"): the UTF-8 JSON inside, the padded plaintext, and the blob zkgroup makes from it with the given randomness (ClientZkGroupCipher.encryptBlobWithRandom; members use fresh randomness, encryptBlob). decoded is what the SDK reads. Computed by packages/client/test/vectors/gen-group-blobs.ts; the master key is the one of invite-code.json.',
  vectors,
};
writeFileSync('packages/protocol/vectors/group-blobs.json', JSON.stringify(file, null, 1) + '\n');
