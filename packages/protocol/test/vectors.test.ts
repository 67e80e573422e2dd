import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { decodeClientFrame, decodeContent, encodeContent, type Content, decodeServerFrame, parseWith, RegisterRequest, SendMessagesRequest, SetKeysRequest } from '../src/index.js';
import { expected, loadVectors, outcome } from '../src/testing/vectors.js';

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
