import { readFileSync } from 'node:fs';
import { checkpointState, GroupChange, parseSnapshot } from '@aviso/protocol';
import { loadVectors } from '@aviso/protocol/testing';
import { describe, expect, test } from 'vitest';
import { blobsOfSnapshot, snapshotOf, snapshotTextHash } from '../src/crypto/group-checkpoint.js';
import { ChainVerifier, ChangeRejected, emptyGroupState } from '../src/crypto/group-chain.js';
import { GroupKeys } from '../src/crypto/group-keys.js';
import { stateFromSnapshot, verifySnapshotBindings } from '../src/crypto/group-snapshot-state.js';

/** packages/protocol/vectors/checkpoint.json through the SDK: a member's check, and a newcomer's start (docs/groups.md "Checkpoints"). */
const file = JSON.parse(readFileSync(new URL('../../protocol/vectors/checkpoint.json', import.meta.url), 'utf8')) as { masterKey: string };
const keys = new GroupKeys(new Uint8Array(Buffer.from(file.masterKey, 'hex')));

describe('checkpoint vectors through the SDK', () => {
  for (const v of loadVectors('checkpoint.json', readFileSync)) {
    test(v.comment, () => {
      const changes = v.changes.map((c) => GroupChange.parse(c));
      const last = changes.at(-1)!;
      const member = new ChainVerifier(emptyGroupState(v.groupId), keys);
      for (const c of changes.slice(0, -1)) member.verify(c);
      expect(snapshotTextHash(v.snapshot)).toBe(v.stateHash);
      // A newcomer starts from the served snapshot and verifies the checkpoint change against it.
      const snapshot = parseSnapshot(v.snapshot)!;
      const start = stateFromSnapshot(snapshot, keys);
      const newcomer = new ChainVerifier(start, keys, blobsOfSnapshot(snapshot));
      if (v.valid === false) {
        expect(checkpointState(snapshotOf(member.state, member.blobs.all()))).not.toBe(v.snapshot);
        let err: unknown;
        try {
          newcomer.verify(last);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ChangeRejected);
        expect((err as ChangeRejected).reason).toBe(v.errorCode);
        return;
      }
      expect(checkpointState(snapshotOf(member.state, member.blobs.all()))).toBe(v.snapshot);
      expect(checkpointState(snapshotOf(start, blobsOfSnapshot(snapshot).all()))).toBe(v.snapshot);
      member.verify(last); // the member's own check of the checkpoint passes
      newcomer.verify(last);
      expect(newcomer.state.headHash).toBe(member.state.headHash);
      expect(newcomer.state.checkpointVersion).toBe(last.version);
      // Once the bindings are checked, the newcomer holds the same identity keys and names as the member.
      expect(verifySnapshotBindings(newcomer.state, keys, newcomer.blobs.all())).toEqual([]);
      // The state itself holds no blobs: they are the store's rows (stores/member-blobs.ts), the same on both sides.
      expect(JSON.stringify(newcomer.state)).not.toMatch(/"(profile|proof)"/);
      expect(newcomer.blobs.all()).toEqual(member.blobs.all());
      const view = (s: typeof member.state) => Object.fromEntries(Object.entries(s.members).map(([m, x]) => [m, [x.accountId, x.role, x.displayName, x.identityKey]]));
      expect(view(newcomer.state)).toEqual(view(member.state));
      expect(newcomer.state.title).toBe(member.state.title);
      expect(newcomer.state.banned).toEqual(member.state.banned);
    });
  }
});
