import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { canonicalJson, checkpointState, emptySnapshot, evaluateRules, GroupChange, parseSnapshot, ProtocolError, SnapshotBuilder } from '../src/index.js';
import { loadVectors } from '../src/testing/vectors.js';

const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64');

describe('checkpoint vectors through the protocol fold (what the relay runs)', () => {
  for (const v of loadVectors('checkpoint.json', readFileSync)) {
    test(v.comment, () => {
      const changes = v.changes.map((c) => GroupChange.parse(c));
      const last = changes.at(-1)!;
      const builder = new SnapshotBuilder(emptySnapshot(v.groupId));
      for (const c of changes.slice(0, -1)) builder.apply(c, sha(canonicalJson(c)));
      const text = checkpointState(builder.snapshot);
      expect(sha(v.snapshot)).toBe(v.stateHash);
      const action = last.actions[0]!;
      expect(action.type).toBe('checkpoint');
      if (v.valid === false) {
        expect(text).not.toBe(v.snapshot);
        expect(v.stateHash).not.toBe(action.type === 'checkpoint' && action.stateHash);
        // The rules refuse a checkpoint whose stateHash is this snapshot's, with the vector's reason.
        const forged = { ...last, actions: [{ type: 'checkpoint' as const, stateHash: v.stateHash }] };
        let reason: unknown;
        try {
          evaluateRules(builder, forged, { authorizeInvite: () => {}, stateHash: () => sha(text) });
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
          reason = (err as ProtocolError).details?.['reason'];
        }
        expect(reason).toBe(v.errorCode);
      } else {
        expect(text).toBe(v.snapshot);
        expect(action.type === 'checkpoint' && action.stateHash).toBe(v.stateHash);
        // Parsing the text and serializing it again gives the same bytes.
        expect(checkpointState(parseSnapshot(v.snapshot)!)).toBe(v.snapshot);
        expect(() => evaluateRules(builder, last, { authorizeInvite: () => {}, stateHash: () => sha(text) })).not.toThrow();
      }
    });
  }

  test('a snapshot that is not one does not parse', () => {
    expect(parseSnapshot('{')).toBeUndefined();
    expect(parseSnapshot(JSON.stringify({ v: 2 }))).toBeUndefined();
  });
});
