import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { canonicalJson, changeSigningMessage, GroupChange, memberBindingMessage } from '../src/index.js';
import { loadVectors } from '../src/testing/vectors.js';

/** The pure half of group-crypto.json: canonical JSON, the signed arrays and the chain hash, from the protocol alone. */
describe('group crypto vectors through the protocol', () => {
  for (const v of loadVectors('group-crypto.json', readFileSync)) {
    if (v.kind === 'change-hash') {
      test(v.comment, () => {
        const change = GroupChange.parse(v.change); // the wire schema accepts every vector change
        expect(canonicalJson(change)).toBe(v.canonicalJson);
        expect(createHash('sha256').update(v.canonicalJson, 'utf8').digest('base64')).toBe(v.hash);
      });
    } else if (v.kind === 'change-signing-message') {
      test(v.comment, () => {
        const { signature: _s, inviteSignature: _i, ...unsigned } = GroupChange.parse(v.change);
        expect(changeSigningMessage(v.groupId, unsigned)).toBe(v.message);
        expect(JSON.parse(v.message)[1]).toMatch(/^[0-9a-f]{64}$/); // groupId as hex
      });
    } else if (v.kind === 'member-binding-message') {
      test(v.comment, () => expect(memberBindingMessage(v.groupId, v.actor, v.signingKey)).toBe(v.message));
    }
  }
});
