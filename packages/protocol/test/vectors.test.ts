import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  decodeClientFrame,
  decodeContent,
  decodeServerFrame,
  encodeContent,
  InviteId,
  inviteIdPathSegment,
  JoinInfoParams,
  pad,
  parseWith,
  RegisterRequest,
  SendMessagesRequest,
  SetKeysRequest,
  unpad,
  type Content,
} from '../src/index.js';
import { expected, loadVectors, outcome, type VectorFileName } from '../src/testing/vectors.js';

describe('client frame vectors', () => {
  for (const v of loadVectors('client-frames.json', readFileSync))
    test(v.comment, () => expect(outcome(() => decodeClientFrame(v.input))).toBe(expected(v)));
});

describe('server frame vectors', () => {
  for (const v of loadVectors('server-frames.json', readFileSync))
    test(v.comment, () => expect(outcome(() => decodeServerFrame(v.input))).toBe(expected(v)));
});

describe('HTTP body vectors', () => {
  const schemas = { RegisterRequest, SetKeysRequest, SendMessagesRequest } as const;
  for (const v of loadVectors('http-bodies.json', readFileSync))
    test(v.comment, () => expect(outcome(() => parseWith(schemas[v.schema], v.input))).toBe(expected(v)));
});

describe('content vectors', () => {
  for (const v of loadVectors('content.json', readFileSync))
    test(v.comment, () => {
      const bytes = new Uint8Array(Buffer.from(v.padded, 'base64'));
      expect(outcome(() => decodeContent(bytes))).toBe(expected(v));
      if (v.valid) expect(decodeContent(bytes)).toEqual(v.decoded);
      if (v.encoded) expect(Buffer.from(encodeContent(v.decoded as Content)).toString('base64')).toBe(v.padded);
    });
});

describe('the vector files', () => {
  test('every file in vectors/ is loadable with the shared loader and listed in vectors/README.md', () => {
    const dir = new URL('../vectors/', import.meta.url);
    const readme = readFileSync(new URL('README.md', dir), 'utf8');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      expect(() => loadVectors(f as VectorFileName, readFileSync), f).not.toThrow();
      expect(readme, f).toContain(`\`${f}\``);
    }
  });
});

describe('invite code vectors: what the protocol package knows of them', () => {
  for (const v of loadVectors('invite-code.json', readFileSync)) {
    if (!v.valid) continue;
    test(v.comment, () => {
      const d = v.derived!;
      // The same 16 bytes: padded standard base64 in group changes, unpadded base64url in the join path.
      expect(parseWith(InviteId, d.inviteIdBase64)).toBe(d.inviteIdBase64);
      expect(Buffer.from(d.inviteIdBase64, 'base64').toString('hex')).toBe(v.decoded!.inviteId);
      expect(inviteIdPathSegment(d.inviteIdBase64)).toBe(d.inviteIdPath);
      expect(parseWith(JoinInfoParams, { groupId: d.groupId, inviteId: d.inviteIdPath })).toEqual({ groupId: d.groupId, inviteId: d.inviteIdPath });
      expect(() => parseWith(JoinInfoParams, { groupId: d.groupId, inviteId: d.inviteIdBase64 })).toThrow();
    });
  }
});

describe('group blob vectors: the padding inside', () => {
  for (const v of loadVectors('group-blobs.json', readFileSync)) {
    test(v.comment, () => {
      const plaintext = new Uint8Array(Buffer.from(v.plaintext, 'base64'));
      expect(new TextDecoder('utf-8', { fatal: true }).decode(unpad(plaintext))).toBe(v.json);
      if (!v.tags.includes('padding')) expect(Buffer.from(pad(new TextEncoder().encode(v.json))).toString('base64')).toBe(v.plaintext);
    });
  }
});
