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

/** An invite code (docs/groups.md "Invite codes"), made and parsed by the SDK; binary values hex unless named otherwise. */
export interface InviteCodeVector extends Verdict {
  /** The text a member shares (link or bare form), exactly. */
  code: string;
  /** Set when the SDK's encoder gives exactly `code` from `decoded` in this form. */
  form?: 'url' | 'bare';
  encoded?: boolean;
  /** The UTF-8 JSON inside the payload, as the SDK writes it. */
  payloadJson?: string;
  /** Valid vectors: the fields, binary ones as hex. */
  decoded?: { relayUrl: string; trustRootSha256: string; masterKey: string; inviteId: string; inviteSecret: string; registrationToken?: string; head?: { version: number; hash: string } };
  /** Valid vectors: what a joiner computes from the fields, base64 unless named otherwise. */
  derived?: { trustRoot: string; groupId: string; inviteIdBase64: string; inviteIdPath: string; relayPassword: string; passwordHash: string; signingKey: string };
  /** Invalid vectors: the SDK's InviteCodeError message (`errorCode` is "InviteCodeError"). */
  error?: string;
}

/** A group blob's plaintext and ciphertext (docs/groups.md "Blobs"), computed by the SDK. */
export interface GroupBlobVector {
  comment: string;
  tags: string[];
  kind: 'attributes' | 'profile';
  /** Hex of the group master key the blob is encrypted under. */
  masterKey: string;
  /** The exact UTF-8 JSON text inside. */
  json: string;
  /** Base64 of the padded plaintext: the JSON, 0x80, zeros to a multiple of 256 bytes. */
  plaintext: string;
  /** Hex of the 32 random bytes given to zkgroup's encryptBlobWithRandom. */
  randomness: string;
  /** Base64 of the blob, as it travels in the change. */
  blob: string;
  /** What a member reads from it. */
  decoded: { title: string; description: string; announcementsOnly: boolean } | { displayName: string };
  /** Set when the SDK writes exactly `json` for `decoded`. */
  encoded?: boolean;
}

/** A checkpoint snapshot (docs/groups.md "Checkpoints"), computed by the SDK. */
export interface CheckpointVector extends Verdict {
  /** Hex group id. */
  groupId: string;
  /** A log of real signed changes from version 0; the last one is the checkpoint. */
  changes: Record<string, unknown>[];
  /** `checkpointState` of the state before the last change (valid), or a forged one (invalid). */
  snapshot: string;
  /** Base64 SHA-256 of the UTF-8 of `snapshot`. */
  stateHash: string;
}

/** What each vector file holds; `packages/protocol/vectors/README.md` describes them. */
export interface VectorFiles {
  'client-frames.json': FrameVector;
  'server-frames.json': FrameVector;
  'http-bodies.json': BodyVector;
  'content.json': ContentVector;
  'group-crypto.json': GroupCryptoVector;
  'ws-auth.json': WsAuthVector;
  'invite-code.json': InviteCodeVector;
  'group-blobs.json': GroupBlobVector;
  'checkpoint.json': CheckpointVector;
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
