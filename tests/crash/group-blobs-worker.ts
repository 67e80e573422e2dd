/**
 * A device committing verified group states and their member blobs as fast as it can
 * (group-blobs-sigkill.test.ts kills it mid-commit): each commit replaces the state with one of a
 * new version and a member list of another size, and writes every member's blob row naming that
 * version (and deletes the rows of members beyond the list), so a reader can tell one commit from a
 * mix of two. Prints `ready` after its first commit.
 */
import { SqliteStore, type GroupRecord, type MemberBlobs } from '@aviso/client';

const [dataDir, groupId] = process.argv.slice(2) as [string, string];
const store = SqliteStore.open(dataDir);
let version = store.getGroup(groupId)?.state.version ?? 0;
let ready = false;
for (;;) {
  version++;
  // 1,000 to 2,999 members: a commit long enough to be cut in the middle.
  const count = 1000 + ((version * 7919) % 2000);
  const members: GroupRecord['state']['members'] = {};
  const put = new Map<string, MemberBlobs | null>();
  for (let i = 0; i < 3000; i++) {
    const m = `ps-${i}`;
    if (i >= count) {
      put.set(m, null);
      continue;
    }
    members[m] = { accountId: `acc-${i}`, role: i === 0 ? 'admin' : 'member', displayName: '', entered: 0 };
    put.set(m, { profile: `profile-v${version}`, proof: `proof-v${version}` });
  }
  const state = { groupId, version, headHash: 'AAAA', title: '', description: '', membersCanInvite: false, members, pending: {}, banned: [], invites: {} };
  store.commit({ groups: [{ groupId, masterKey: new Uint8Array(32).fill(1), status: 'member', state }], groupBlobs: [{ groupId, put }] });
  if (!ready) {
    process.stdout.write('ready\n');
    ready = true;
  }
}
