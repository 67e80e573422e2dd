import { z } from 'zod';
import { ProtocolError } from '../errors.js';

/**
 * The one loader of the conformance vectors in `packages/protocol/vectors/` for every package's
 * tests (`@aviso/protocol/testing`, not the main entry). It does no I/O itself, so the protocol stays
 * runnable anywhere: the caller passes the function that reads a file (Node's `readFileSync` as it
 * is) and gets back the checked, typed vectors.
 */

/** Fields every vector carries; files add their own inputs and expectations. */
const VectorBase = z.looseObject({
  comment: z.string().min(1),
  tags: z.array(z.string()),
  /** Verdict vectors: whether the input is accepted, and if not, with which error code. */
  valid: z.boolean().optional(),
  errorCode: z.string().optional(),
});
const VectorFile = z.object({ comment: z.string().min(1), vectors: z.array(VectorBase).min(1) });

interface Verdict {
  comment: string;
  tags: string[];
  valid: boolean;
  errorCode?: string;
}
export interface FrameVector extends Verdict {
  /** The raw WebSocket text frame. */
  input: string;
}
export interface BodyVector extends Verdict {
  /** Name of the request schema in `@aviso/protocol`. */
  schema: 'RegisterRequest' | 'SetKeysRequest' | 'SendMessagesRequest';
  input: unknown;
}
export interface ContentVector extends Verdict {
  /** Base64 of the padded plaintext. */
  padded: string;
  /** What `decodeContent` returns, for valid vectors. */
  decoded?: unknown;
  /** Set when `encodeContent(decoded)` must give exactly `padded`: what a sender produces. */
  encoded?: boolean;
}

/** Derivations and encodings of docs/groups.md, each computed by the SDK's code; `kind` says which. */
export type GroupCryptoVector = { comment: string; tags: string[]; valid?: boolean; errorCode?: string } & (
  | { kind: 'change-hash'; change: Record<string, unknown>; canonicalJson: string; hash: string }
  | { kind: 'change-signing-message'; groupId: string; change: Record<string, unknown>; message: string }
  | { kind: 'member-binding-message'; groupId: string; actor: string; signingKey: string; message: string }
  | { kind: 'invite-keys'; inviteSecret: string; relayPassword: string; relayPasswordHash: string; signingPrivateKey: string; signingKey: string }
  | { kind: 'trust-root-sha256'; trustRoot: string; sha256: string }
  | { kind: 'group-id-bytes'; groupId: string; usmcGroupId: string }
);

export interface WsAuthVector extends Verdict {
  /** The `Sec-WebSocket-Protocol` entries offered, in order. */
  protocols: string[];
  /** An `Authorization` header sent with them, if any. */
  authorization?: string;
  /** For valid vectors: the credentials the relay reads from them. */
  credentials?: { accountId: string; deviceId: number; password: string };
}

/** What each vector file holds; `packages/protocol/vectors/README.md` describes them. */
export interface VectorFiles {
  'client-frames.json': FrameVector;
  'server-frames.json': FrameVector;
  'http-bodies.json': BodyVector;
  'content.json': ContentVector;
  'group-crypto.json': GroupCryptoVector;
  'ws-auth.json': WsAuthVector;
}
export type VectorFileName = keyof VectorFiles;

/** Where a vector file lives: next to `src/` and `dist/` alike. */
export function vectorUrl(name: VectorFileName): URL {
  return new URL(`../../vectors/${name}`, import.meta.url);
}

/** Checks a vector file's text and returns its vectors; throws on a file that does not have the shared shape. */
export function parseVectors<N extends VectorFileName>(name: N, text: string): VectorFiles[N][] {
  const parsed = VectorFile.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`vector file ${name}: ${z.prettifyError(parsed.error)}`);
  for (const v of parsed.data.vectors) {
    if (v.valid === false && v.errorCode === undefined) throw new Error(`vector file ${name}: "${v.comment}" is invalid but names no errorCode`);
  }
  return parsed.data.vectors as unknown as VectorFiles[N][];
}

/** Reads and checks one vector file with the caller's reader. */
export function loadVectors<N extends VectorFileName>(name: N, read: (url: URL, encoding: 'utf8') => string): VectorFiles[N][] {
  return parseVectors(name, read(vectorUrl(name), 'utf8'));
}

/** 'ok', or the ProtocolError code `fn` threw: what a verdict vector's `valid` / `errorCode` is compared with. */
export function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
}

/** The verdict a vector expects, in `outcome`'s terms. */
export const expected = (v: { valid?: boolean | undefined; errorCode?: string | undefined }): string => (v.valid === false ? (v.errorCode ?? '?') : 'ok');
