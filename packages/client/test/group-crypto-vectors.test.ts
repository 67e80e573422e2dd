import { readFileSync } from 'node:fs';
import { PrivateKey, PublicKey } from '@signalapp/libsignal-client';
import { changeSigningMessage, memberBindingMessage, type GroupChange } from '@aviso/protocol';
import { loadVectors } from '@aviso/protocol/testing';
import { describe, expect, test } from 'vitest';
import { changeHash } from '../src/crypto/group-chain.js';
import { deriveInviteKeys, sha256 } from '../src/crypto/group-keys.js';
import { groupIdBytes } from '../src/crypto/sender-keys.js';

/** packages/protocol/vectors/group-crypto.json, recomputed by the SDK's code (docs/groups.md). */
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

describe('group crypto vectors through the SDK', () => {
  for (const v of loadVectors('group-crypto.json', readFileSync)) {
    test(`${v.kind}: ${v.comment}`, () => {
      switch (v.kind) {
        case 'group-id-bytes':
          // What the SDK puts in the sealed-sender content, and what the receiver compares (sealed.ts, group-messaging.ts).
          expect(b64(groupIdBytes(v.groupId)) === v.usmcGroupId).toBe(v.valid !== false);
          expect(hex(bytes(v.usmcGroupId)) === v.groupId).toBe(v.valid !== false);
          break;
        case 'change-hash':
          expect(changeHash(v.change as GroupChange)).toBe(v.hash);
          expect(b64(sha256(v.canonicalJson))).toBe(v.hash);
          break;
        case 'change-signing-message': {
          const { signature, inviteSignature, ...unsigned } = v.change as GroupChange;
          expect(changeSigningMessage(v.groupId, unsigned)).toBe(v.message);
          const action = unsigned.actions[0]!;
          if ('signingKey' in action && action.type !== 'createInvite') {
            expect(PublicKey.deserialize(bytes(action.signingKey)).verify(Buffer.from(v.message), bytes(signature))).toBe(true);
          }
          if (inviteSignature !== undefined) expect(inviteSignature).toMatch(/^[A-Za-z0-9+/]{86}==$/);
          break;
        }
        case 'member-binding-message':
          expect(memberBindingMessage(v.groupId, v.actor, v.signingKey)).toBe(v.message);
          break;
        case 'invite-keys': {
          const keys = deriveInviteKeys(new Uint8Array(Buffer.from(v.inviteSecret, 'hex')));
          expect(b64(keys.relayPassword)).toBe(v.relayPassword);
          expect(keys.relayPassword).toHaveLength(32);
          expect(b64(sha256(keys.relayPassword))).toBe(v.relayPasswordHash);
          expect(hex(keys.signingKey.serialize())).toBe(v.signingPrivateKey);
          expect(b64(PrivateKey.deserialize(new Uint8Array(Buffer.from(v.signingPrivateKey, 'hex'))).getPublicKey().serialize())).toBe(v.signingKey);
          break;
        }
        case 'trust-root-sha256':
          expect(bytes(v.trustRoot)).toHaveLength(33);
          expect(hex(sha256(bytes(v.trustRoot)))).toBe(v.sha256);
          expect(hex(sha256(v.trustRoot))).not.toBe(v.sha256); // not the base64 text
          break;
      }
    });
  }
});
