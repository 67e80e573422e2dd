// Writes packages/protocol/vectors/checkpoint.json with the SDK's own code (run with
// `node --conditions=@aviso/source --import tsx packages/client/test/vectors/gen-checkpoint.ts`);
// the protocol's, the SDK's and the relay's tests recompute every value.
import { writeFileSync } from 'node:fs';
import { checkpointState, type GroupSnapshot } from '@aviso/protocol';
import { snapshotOf, snapshotTextHash, stateHashOf } from '../../src/crypto/group-checkpoint.js';
import { ChainBuilder, Member } from '../groups/chain-helpers.js';

const chain = new ChainBuilder();
const [ana, ben, cara, dan] = [new Member('Ana'), new Member('Ben'), new Member('Cara'), new Member('Dan')];
chain.create(ana);
const open = chain.invite(ana, { maxUses: 3 });
chain.join(ben, open);
const ask = chain.invite(ana, { requireApproval: true, maxUses: 3 });
chain.join(cara, ask, 'requestJoin');
chain.append(ana, [{ type: 'approve', member: chain.ps(cara) }]);
chain.join(dan, ask, 'requestJoin');
chain.append(ana, [{ type: 'deny', member: chain.ps(dan), ban: true }]);
chain.append(ana, [{ type: 'setRole', member: chain.ps(ben), role: 'admin' }]);
chain.append(ana, [{ type: 'setAttributes', attributes: chain.keys.sealJson({ v: 1, title: 'Compton responders', description: 'day shift', announcementsOnly: false }) }]);
chain.append(ana, [{ type: 'revokeInvite', inviteId: open.inviteId }]);
const snapshot = snapshotOf(chain.state, chain.blobs.all());
const text = checkpointState(snapshot);
const stateHash = stateHashOf(chain.state, chain.blobs.all());
const checkpoint = chain.append(ben, [{ type: 'checkpoint', stateHash }]);

// A relay that adds one member to the snapshot (Dan, as a member, with Ben's blobs).
const forged: GroupSnapshot = structuredClone(snapshot);
forged.members[chain.ps(dan)] = { ...forged.members[chain.ps(ben)]!, role: 'member' };
const forgedText = checkpointState(forged);

const vectors = [
  {
    comment: 'the state after version ' + snapshot.version + ' (create, an open invite and a join, an approval invite with one request approved and one denied with a ban, a new admin, new attributes, a revoked invite): checkpointState gives exactly `snapshot`, its SHA-256 is the checkpoint change\'s stateHash, and `changes` ends with that checkpoint change (version ' + checkpoint.version + ', by the second admin)',
    tags: ['checkpoint', 'snapshot', 'canonical-json'],
    groupId: chain.keys.groupId,
    changes: chain.log,
    snapshot: text,
    stateHash,
    valid: true,
  },
  {
    comment: 'the same snapshot with one extra member (a relay that adds someone): its hash is not the stateHash, so a member who verified the log, and a newcomer who checks the snapshot, refuses it',
    tags: ['checkpoint', 'snapshot', 'forged'],
    groupId: chain.keys.groupId,
    changes: chain.log,
    snapshot: forgedText,
    stateHash: snapshotTextHash(forgedText),
    valid: false,
    errorCode: 'bad-checkpoint',
  },
];
const file = {
  comment: 'Checkpoint snapshots (docs/groups.md "Checkpoints"), computed by the SDK (packages/client/test/vectors/gen-checkpoint.ts): a log of real signed changes, the canonical snapshot text of the state before its last change (a checkpoint), and base64 SHA-256 of that text. Keys are per run; every value is recomputed by the protocol (SnapshotBuilder), the SDK (its verifier and snapshotOf) and the relay.',
  masterKey: Buffer.from(chain.keys.masterKey).toString('hex'),
  vectors,
};
writeFileSync('packages/protocol/vectors/checkpoint.json', JSON.stringify(file, null, 1) + '\n');
