import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  decodeClientFrame,
  decodeContent,
  decodeServerFrame,
  parseWith,
  ProtocolError,
  RegisterRequest,
  SendMessagesRequest,
  SetKeysRequest,
} from '../src/index.js';

interface Vector {
  comment: string;
  valid: boolean;
  errorCode?: string;
  tags: string[];
}
const load = <V extends Vector>(name: string): V[] =>
  (JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8')) as { vectors: V[] }).vectors;

function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
}

describe('client frame vectors', () => {
  for (const v of load<Vector & { input: string }>('client-frames.json'))
    test(v.comment, () => expect(outcome(() => decodeClientFrame(v.input))).toBe(v.valid ? 'ok' : v.errorCode));
});

describe('server frame vectors', () => {
  for (const v of load<Vector & { input: string }>('server-frames.json'))
    test(v.comment, () => expect(outcome(() => decodeServerFrame(v.input))).toBe(v.valid ? 'ok' : v.errorCode));
});

describe('HTTP body vectors', () => {
  const schemas = { RegisterRequest, SetKeysRequest, SendMessagesRequest } as const;
  for (const v of load<Vector & { schema: keyof typeof schemas; input: unknown }>('http-bodies.json'))
    test(v.comment, () => expect(outcome(() => parseWith(schemas[v.schema], v.input))).toBe(v.valid ? 'ok' : v.errorCode));
});

describe('content vectors', () => {
  for (const v of load<Vector & { padded: string; decoded?: unknown }>('content.json'))
    test(v.comment, () => {
      const bytes = new Uint8Array(Buffer.from(v.padded, 'base64'));
      expect(outcome(() => decodeContent(bytes))).toBe(v.valid ? 'ok' : v.errorCode);
      if (v.valid) expect(decodeContent(bytes)).toEqual(v.decoded);
    });
});
