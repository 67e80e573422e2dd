import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { KeyFileError, StoreCorruptError, StoreWipedError, WrongPassphraseError } from '../../errors.js';
import { PRIVATE_FILE_MODE, fsyncDir, writeFileDurably } from '../private-files.js';

/**
 * The store's database key and the small file in the data folder that says how to get it
 * (`aviso-client.key.json`, 0600). The database key is 32 random bytes used by SQLCipher as a raw
 * key (no SQLCipher KDF: the memory-hard one is here). It is either
 *
 * - wrapped by a passphrase: scrypt(passphrase, salt) → AES-256-GCM key; the file holds salt, the
 *   scrypt parameters (so they can be raised later: the next changePassphrase uses the current
 *   defaults), the IV, the tag and the wrapped key. The header fields are the GCM associated data,
 *   so they cannot be lowered without the tag failing; or
 * - kept in a key file elsewhere (bots): the file here holds only an HMAC of the key, so a wrong
 *   key file is told apart from a corrupted database.
 */

export const STORE_KEY_FILE_NAME = 'aviso-client.key.json';
export const DB_KEY_BYTES = 32;
const FORMAT = 'aviso-client-store-key';
const CHECK_LABEL = 'aviso-client store key check v1';

/** scrypt N=2^17, r=8, p=1: 128 MiB and roughly half a second per unlock on a laptop core. */
export const DEFAULT_SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
/**
 * The parameters new key slots get: DEFAULT_SCRYPT. Tests of the key-slot logic lower this in their
 * own process (each file records its parameters, so what they write still opens anywhere).
 */
export const scryptDefaults: ScryptParams = { ...DEFAULT_SCRYPT };
// A file asking for more than this is refused rather than allowed to exhaust memory.
const MAX_SCRYPT_MEMORY = 2 ** 31;

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);
const scryptParams = z.object({
  name: z.literal('scrypt'),
  N: z.number().int().min(2 ** 14).max(2 ** 24).refine((n) => (n & (n - 1)) === 0, 'N must be a power of two'),
  r: z.number().int().min(1).max(64),
  p: z.number().int().min(1).max(16),
  salt: b64,
});
const passphraseFile = z.object({
  format: z.literal(FORMAT),
  version: z.literal(1),
  protection: z.literal('passphrase'),
  kdf: scryptParams,
  aead: z.object({ name: z.literal('aes-256-gcm'), iv: b64, tag: b64 }),
  wrappedKey: b64,
});
/** Two key slots under one set of scrypt parameters: the store's, and a duress one or filler (key-slots.ts). */
const slot = z.object({ salt: b64, iv: b64, tag: b64, sealed: b64 });
const slotsFile = z.object({
  format: z.literal(FORMAT),
  version: z.literal(2),
  protection: z.literal('passphrase'),
  kdf: scryptParams.omit({ salt: true }),
  slots: z.tuple([slot, slot]),
});
const keyFileFile = z.object({
  format: z.literal(FORMAT),
  version: z.literal(1),
  protection: z.literal('key-file'),
  check: b64,
});
const storeKeyFile = z.union([slotsFile, passphraseFile, keyFileFile]);
export type StoreKeyFile = z.infer<typeof storeKeyFile>;
/** Version 1: one wrapped key. Still read (and rewritten as version 2 at its next unlock). */
export type PassphraseFile = z.infer<typeof passphraseFile>;
export type SlotsFile = z.infer<typeof slotsFile>;
export type KeySlot = z.infer<typeof slot>;
export type ScryptParams = { N: number; r: number; p: number };

/** The secret open() was given. */
export type StoreSecret = { passphrase: string } | { keyFile: string };

/** Reads and validates the data folder's key file; undefined if there is none. */
export function readStoreKeyFile(path: string): StoreKeyFile | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // All zeros: a wipe destroyed the key here and was interrupted before removing the rest (wipe.ts).
  if (bytes.length > 0 && bytes.every((b) => b === 0)) throw new StoreWipedError(dirname(path));
  const text = bytes.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new StoreCorruptError(path, 'the wrapped-key file is not JSON (truncated?)', { cause: err });
  }
  const r = storeKeyFile.safeParse(parsed);
  if (!r.success) throw new StoreCorruptError(path, 'the wrapped-key file is malformed');
  return r.data;
}

export function writeStoreKeyFile(path: string, file: StoreKeyFile): void {
  writeFileDurably(path, `${JSON.stringify(file, null, 2)}\n`);
}

/** The GCM associated data: every field but the ciphertext, in a fixed order. */
function header(f: Pick<PassphraseFile, 'kdf'>): Buffer {
  return Buffer.from(JSON.stringify([FORMAT, 1, 'passphrase', f.kdf.name, f.kdf.N, f.kdf.r, f.kdf.p, f.kdf.salt]), 'utf8');
}

function passphraseBytes(passphrase: string): Buffer {
  // NFC: the same passphrase typed on two platforms must give the same bytes.
  return Buffer.from(passphrase.normalize('NFC'), 'utf8');
}

/**
 * Test hook: every scrypt run counts here, so tests can show that a duress unlock and a normal one
 * run the KDF the same number of times (timing itself is measured in `pnpm bench`).
 */
export const kdfRuns = { count: 0 };

export function deriveWrappingKey(passphrase: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  kdfRuns.count++;
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: Math.min(MAX_SCRYPT_MEMORY, 256 * params.N * params.r * params.p + 2 ** 25) };
  const secret = passphraseBytes(passphrase);
  // The async form runs on libuv's pool: an app's event loop keeps running through the unlock.
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, 32, options, (err, key) => {
      secret.fill(0);
      if (err) reject(err);
      else resolve(key);
    }),
  );
}

/** The version 1 format (one wrapped key): no longer written by the SDK, kept to test reading it. */
export async function wrapWithPassphrase(dbKey: Uint8Array, passphrase: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<StoreKeyFile> {
  if (passphrase.length === 0) throw new RangeError('the passphrase is empty');
  const salt = randomBytes(16);
  const kdf = { name: 'scrypt' as const, N: params.N, r: params.r, p: params.p, salt: salt.toString('base64') };
  const kek = await deriveWrappingKey(passphrase, salt, params);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(header({ kdf }));
  const wrapped = Buffer.concat([cipher.update(dbKey), cipher.final()]);
  kek.fill(0);
  return {
    format: FORMAT,
    version: 1,
    protection: 'passphrase',
    kdf,
    aead: { name: 'aes-256-gcm', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64') },
    wrappedKey: wrapped.toString('base64'),
  };
}

/** The database key, or WrongPassphraseError. Reads nothing else and writes nothing. */
export async function unwrapWithPassphrase(file: PassphraseFile, passphrase: string, dataDir: string, path: string): Promise<Buffer> {
  const salt = Buffer.from(file.kdf.salt, 'base64');
  const iv = Buffer.from(file.aead.iv, 'base64');
  const tag = Buffer.from(file.aead.tag, 'base64');
  const wrapped = Buffer.from(file.wrappedKey, 'base64');
  if (salt.length < 16 || iv.length !== 12 || tag.length !== 16 || wrapped.length !== DB_KEY_BYTES) {
    throw new StoreCorruptError(path, 'the wrapped-key file has fields of the wrong size');
  }
  const kek = await deriveWrappingKey(passphrase, salt, file.kdf);
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, iv);
    decipher.setAAD(header(file));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(wrapped), decipher.final()]);
  } catch {
    // GCM cannot tell a wrong passphrase from a flipped bit; a wrong passphrase is by far the likelier.
    throw new WrongPassphraseError(dataDir);
  } finally {
    kek.fill(0);
  }
}

export function keyCheck(dbKey: Uint8Array): string {
  return createHmac('sha256', dbKey).update(CHECK_LABEL).digest('base64');
}

export function keyFileRecord(dbKey: Uint8Array): StoreKeyFile {
  return { format: FORMAT, version: 1, protection: 'key-file', check: keyCheck(dbKey) };
}

export function matchesKeyCheck(file: Extract<StoreKeyFile, { protection: 'key-file' }>, dbKey: Uint8Array): boolean {
  const want = Buffer.from(file.check, 'base64');
  const got = Buffer.from(keyCheck(dbKey), 'base64');
  return want.length === got.length && timingSafeEqual(want, got);
}

/** The raw key held by a `keyFile`: 32 bytes, or 64 hex digits (surrounding whitespace allowed). */
export function readRawKeyFile(path: string): Buffer {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (err) {
    throw new KeyFileError(path, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable', { cause: err });
  }
  if (raw.length === DB_KEY_BYTES) return raw;
  const text = raw.toString('latin1').trim();
  raw.fill(0);
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  throw new KeyFileError(path, 'malformed');
}

export function newDbKey(): Buffer {
  return randomBytes(DB_KEY_BYTES);
}

/**
 * Writes a new random key to `path` (64 hex digits, mode 0600) for `AvisoClient.open({ keyFile })`.
 * Refuses to overwrite an existing file: that file may be the only way into a store.
 */
export function createKeyFile(path: string): void {
  const key = newDbKey();
  const fd = openSync(path, 'wx', PRIVATE_FILE_MODE);
  try {
    writeSync(fd, `${key.toString('hex')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
    key.fill(0);
  }
  fsyncDir(dirname(resolve(path)));
}
