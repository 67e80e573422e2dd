import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inviteIdPathSegment } from '@aviso/protocol';
import { loadVectors } from '@aviso/protocol/testing';
import { describe, expect, test } from 'vitest';
import { deriveInviteKeys, GroupKeys } from '../src/crypto/group-keys.js';
import { InviteCodeError } from '../src/errors.js';
import { encodeInviteCode, parseInviteCode, type InviteCode } from '../src/groups/invite-code.js';

/** packages/protocol/vectors/invite-code.json through the SDK's parser and encoder (docs/groups.md "Invite codes"). */
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

describe('invite code vectors through the SDK', () => {
  for (const v of loadVectors('invite-code.json', readFileSync)) {
    test(v.comment, () => {
      if (v.valid) {
        const got = parseInviteCode(v.code);
        const d = v.decoded!;
        expect({
          relayUrl: got.relayUrl,
          trustRootSha256: hex(got.trustRootSha256),
          masterKey: hex(got.masterKey),
          inviteId: hex(Buffer.from(got.inviteId, 'base64')),
          inviteSecret: hex(got.inviteSecret),
          ...(got.registrationToken === undefined ? {} : { registrationToken: got.registrationToken }),
          ...(got.head === undefined ? {} : { head: { version: got.head.version, hash: hex(got.head.hash) } }),
        }).toEqual(d);
        const x = v.derived!;
        // The SDK hands the invite id on as padded standard base64, as group changes carry it.
        expect(got.inviteId).toBe(x.inviteIdBase64);
        expect(inviteIdPathSegment(got.inviteId)).toBe(x.inviteIdPath);
        expect(hex(createHash('sha256').update(Buffer.from(x.trustRoot, 'base64')).digest())).toBe(d.trustRootSha256);
        expect(new GroupKeys(got.masterKey).groupId).toBe(x.groupId);
        const keys = deriveInviteKeys(got.inviteSecret);
        expect(b64(keys.relayPassword)).toBe(x.relayPassword);
        expect(b64(createHash('sha256').update(keys.relayPassword).digest())).toBe(x.passwordHash);
        expect(b64(keys.signingKey.getPublicKey().serialize())).toBe(x.signingKey);
        if (v.encoded) {
          expect(encodeInviteCode(got as InviteCode, v.form)).toBe(v.code);
          const payload = v.code.slice(v.code.indexOf(v.form === 'bare' ? ':' : '#') + 1);
          expect(payload).toMatch(/^[A-Za-z0-9_-]+$/);
          expect(Buffer.from(payload, 'base64url').toString('utf8')).toBe(v.payloadJson);
          const json = JSON.parse(v.payloadJson!) as Record<string, string>;
          for (const name of ['trustRootSha256', 'masterKey', 'inviteId', 'inviteSecret']) expect(json[name]).toMatch(/^[A-Za-z0-9_-]+$/);
          if (d.head) expect((json as unknown as { head: { hash: string } }).head.hash).toMatch(/^[A-Za-z0-9_-]{22}$/);
        }
      } else {
        expect(v.errorCode).toBe('InviteCodeError');
        let err: unknown;
        try {
          parseInviteCode(v.code);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(InviteCodeError);
        expect((err as Error).message).toBe(v.error);
      }
    });
  }
});
