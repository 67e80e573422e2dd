import { readFileSync } from 'node:fs';
import { loadVectors } from '@aviso/protocol/testing';
import { describe, expect, test } from 'vitest';
import { attributesValue, openAttributes, openDisplayName, profileValue, type GroupAttributes } from '../src/crypto/group-blobs.js';
import { blobPlaintext, GroupKeys } from '../src/crypto/group-keys.js';
import { ChainBuilder, Member } from './groups/chain-helpers.js';

/** packages/protocol/vectors/group-blobs.json through the SDK: what it writes, and what it reads from a verified log. */
const bytes = (s: string, enc: 'base64' | 'hex' = 'base64') => new Uint8Array(Buffer.from(s, enc));
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

describe('group blob vectors through the SDK', () => {
  for (const v of loadVectors('group-blobs.json', readFileSync)) {
    test(`${v.kind}: ${v.comment}`, () => {
      const keys = new GroupKeys(bytes(v.masterKey, 'hex'));
      // The plaintext is the JSON, 0x80 and zeros, and the blob is zkgroup's encryption of it.
      const plaintext = bytes(v.plaintext);
      expect(Buffer.from(plaintext.subarray(0, Buffer.byteLength(v.json))).toString('utf8')).toBe(v.json);
      expect(b64(keys.cipher.encryptBlobWithRandom(bytes(v.randomness, 'hex'), plaintext))).toBe(v.blob);
      expect(b64(keys.cipher.decryptBlob(bytes(v.blob)))).toBe(v.plaintext);
      if (v.kind === 'attributes') {
        expect(openAttributes(keys, v.blob)).toEqual(v.decoded);
        if (v.encoded) {
          expect(JSON.stringify(attributesValue(v.decoded as GroupAttributes))).toBe(v.json);
          expect(b64(blobPlaintext(attributesValue(v.decoded as GroupAttributes)))).toBe(v.plaintext);
        }
        // The verified log reads the blob the same way, from create and from setAttributes.
        const chain = new ChainBuilder(keys.masterKey);
        const ana = new Member('Ana');
        chain.append(ana, [{ type: 'create', attributes: v.blob, profile: chain.profile('Ana'), membersCanInvite: false }]);
        const seen = (s: typeof chain.state) => ({
          title: s.title,
          description: s.description,
          announcementsOnly: s.announcementsOnly ?? false,
          ...(s.retentionSeconds === undefined ? {} : { retentionSeconds: s.retentionSeconds }),
        });
        expect(seen(chain.state)).toEqual(v.decoded);
        chain.append(ana, [{ type: 'setAttributes', attributes: keys.sealJson(attributesValue({ title: 'other', description: 'd', announcementsOnly: !(v.decoded as GroupAttributes).announcementsOnly })) }]);
        chain.append(ana, [{ type: 'setAttributes', attributes: v.blob }]);
        expect(seen(chain.state)).toEqual(v.decoded);
      } else {
        const { displayName } = v.decoded as { displayName: string };
        expect(openDisplayName(keys, v.blob)).toBe(displayName);
        if (v.encoded) expect(b64(blobPlaintext(profileValue(displayName)))).toBe(v.plaintext);
      }
    });
  }

  test('another group key does not open a vector blob: it reads as unreadable', () => {
    const v = loadVectors('group-blobs.json', readFileSync).find((x) => x.kind === 'attributes' && x.encoded)!;
    expect(openAttributes(new GroupKeys(new Uint8Array(32).fill(9)), v.blob)).toEqual({ title: '', description: '', announcementsOnly: false });
  });
});
