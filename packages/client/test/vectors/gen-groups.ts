// Writes packages/protocol/vectors/group-crypto.json with the SDK's own code (run with
// `node --conditions=@aviso/source --import tsx packages/client/test/vectors/gen-groups.ts`);
// group-crypto-vectors.test.ts recomputes every value.
import { writeFileSync } from 'node:fs';
import { changeSigningMessage, memberBindingMessage, canonicalJson, type GroupChange } from '@aviso/protocol';
import { changeHash } from '../../src/crypto/group-chain.js';
import { deriveInviteKeys, sha256 } from '../../src/crypto/group-keys.js';
import { ChainBuilder, Member } from '../groups/chain-helpers.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const chain = new ChainBuilder();
const [ana, ben] = [new Member('Ana'), new Member('Ben')];
chain.create(ana);
const invite = chain.invite(ana);
chain.join(ben, invite);
chain.append(ana, [{ type: 'setAttributes', attributes: chain.keys.sealJson({ v: 1, title: 'Compton responders', description: 'night shift', announcementsOnly: true }) }]);
const groupId = chain.keys.groupId;
const vectors: unknown[] = [];
vectors.push({ kind: 'group-id-bytes', comment: 'the group id in sealed-sender content (UnidentifiedSenderMessageContent.groupId) is the raw 32 bytes of the identifier whose hex is the group id', groupId, usmcGroupId: b64(Buffer.from(groupId, 'hex')), valid: true, tags: ['group-id', 'sealed-sender'] });
vectors.push({ kind: 'group-id-bytes', comment: 'the hex text as bytes is another group id: the message is dropped (not-allowed)', groupId, usmcGroupId: b64(Buffer.from(groupId, 'utf8')), valid: false, errorCode: 'not-allowed', tags: ['group-id', 'sealed-sender'] });
for (const change of chain.log as GroupChange[]) {
  vectors.push({ kind: 'change-hash', comment: `groupHeadHash and prevHash: SHA-256 of the canonical JSON of version ${change.version} (${change.actions[0]!.type}), base64`, change, canonicalJson: canonicalJson(change), hash: changeHash(change), tags: ['group-head-hash', 'canonical-json'] });
  const { signature: _s, inviteSignature: _i, ...unsigned } = change;
  vectors.push({ kind: 'change-signing-message', comment: `what signature${change.inviteSignature ? ' and inviteSignature' : ''} of version ${change.version} sign: groupId hex, prevHash and keys base64, actions in wire form, proof or null`, groupId, change, message: changeSigningMessage(groupId, unsigned), tags: ['signed-array'] });
  const entering = change.actions[0]!;
  if ('signingKey' in entering && entering.type !== 'createInvite') {
    vectors.push({ kind: 'member-binding-message', comment: `what the identity key signs in the proof of version ${change.version}: groupId hex, actor and signingKey base64`, groupId, actor: change.actor, signingKey: entering.signingKey, message: memberBindingMessage(groupId, change.actor, entering.signingKey), tags: ['signed-array', 'proof'] });
  }
}
const secret = new Uint8Array(32).map((_, i) => i + 1);
const keys = deriveInviteKeys(secret);
vectors.push({ kind: 'invite-keys', comment: 'HKDF-SHA256 of the invite secret, empty salt: 32 bytes each for the relay password and the signing key', inviteSecret: hex(secret), relayPassword: b64(keys.relayPassword), relayPasswordHash: b64(sha256(keys.relayPassword)), signingPrivateKey: hex(keys.signingKey.serialize()), signingKey: b64(keys.signingKey.getPublicKey().serialize()), tags: ['invite', 'hkdf'] });
const trustRoot = keys.signingKey.getPublicKey().serialize();
vectors.push({ kind: 'trust-root-sha256', comment: 'trustRootSha256 in an invite code hashes the 33 serialized key bytes (0x05 ‖ 32), not their base64 text', trustRoot: b64(trustRoot), sha256: hex(sha256(trustRoot)), tags: ['invite', 'trust-root'] });
const file = { comment: 'Group derivations and encodings (docs/groups.md), computed by the SDK (packages/client/test/vectors/gen-groups.ts); binary values are base64 unless named hex. Keys are per run: the vectors carry what is needed to check each value.', masterKey: hex(chain.keys.masterKey), vectors };
writeFileSync('packages/protocol/vectors/group-crypto.json', JSON.stringify(file, null, 1) + '\n');
