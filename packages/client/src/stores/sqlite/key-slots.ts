import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DB_KEY_BYTES, deriveWrappingKey, scryptDefaults, type KeySlot, type ScryptParams, type SlotsFile } from './store-key.js';

/**
 * The two key slots of a passphrase-protected store (docs/sdk.md "Duress passphrase").
 *
 * Every such store has exactly two slots under one set of scrypt parameters, each
 * `{ salt, iv, tag, sealed }` with `sealed` always 65 bytes: AES-256-GCM under
 * scrypt(passphrase, salt). One slot is the store's: it seals the database key and the key of the
 * other slot. The other is either a duress slot (set by `setDuressPassphrase`) or filler: random
 * bytes sealed under a random key that no passphrase derives. Filler and a duress slot look alike
 * (random salt, random-looking ciphertext of the same length), so the file does not say whether a
 * duress passphrase is set, nor which slot is which (the store's slot is at a random index).
 *
 * Every unlock derives a key for both slots (two scrypt runs, whichever passphrase is typed), and
 * every successful unlock reseals both slots with fresh IVs and writes the file again. A duress
 * unlock does the same, except that what it seals is a new, empty store's key in the duress slot
 * and filler in the store's slot: the real database key is then in no slot.
 */

const SEALED_BYTES = 1 + DB_KEY_BYTES + 32;
const SALT_BYTES = 16;

/** The first sealed byte: what the slot is. Filler is random bytes and never opens. */
const STORE_ALONE = 1;
const STORE_WITH_DURESS = 2;
const DURESS = 3;

/** What a passphrase opened: the store's slot (with the database key) or the duress slot. */
export type SlotMatch =
  | { kind: 'store'; index: number; kek: Buffer; dbKey: Buffer; otherKek: Buffer; otherIsDuress: boolean }
  | { kind: 'duress'; index: number; kek: Buffer };

function aad(file: Pick<SlotsFile, 'kdf'>, salt: string): Buffer {
  return Buffer.from(JSON.stringify(['aviso-client-store-key', 2, 'passphrase', file.kdf.name, file.kdf.N, file.kdf.r, file.kdf.p, salt]), 'utf8');
}

function seal(kdf: SlotsFile['kdf'], kek: Buffer, salt: Buffer, plain: Buffer): KeySlot {
  const iv = randomBytes(12);
  const saltText = salt.toString('base64');
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(aad({ kdf }, saltText));
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  plain.fill(0);
  return { salt: saltText, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), sealed: sealed.toString('base64') };
}

function open(file: SlotsFile, index: number, kek: Buffer): Buffer | undefined {
  const s = file.slots[index]!;
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(s.iv, 'base64'));
    decipher.setAAD(aad(file, s.salt));
    decipher.setAuthTag(Buffer.from(s.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(s.sealed, 'base64')), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Whether every field has its one size: a file of another shape is corrupt, not a wrong passphrase. */
export function slotsWellFormed(file: SlotsFile): boolean {
  return file.slots.every((s) => {
    const len = (x: string) => Buffer.from(x, 'base64').length;
    return len(s.salt) === SALT_BYTES && len(s.iv) === 12 && len(s.tag) === 16 && len(s.sealed) === SEALED_BYTES;
  });
}

function storePlain(dbKey: Uint8Array, otherKek: Uint8Array, otherIsDuress: boolean): Buffer {
  return Buffer.concat([Buffer.from([otherIsDuress ? STORE_WITH_DURESS : STORE_ALONE]), dbKey, otherKek]);
}

function duressPlain(): Buffer {
  return Buffer.concat([Buffer.from([DURESS]), randomBytes(SEALED_BYTES - 1)]);
}

function filler(kdf: SlotsFile['kdf'], kek: Buffer, salt: Buffer): KeySlot {
  return seal(kdf, kek, salt, randomBytes(SEALED_BYTES));
}

function assemble(kdf: SlotsFile['kdf'], storeIndex: number, store: KeySlot, other: KeySlot): SlotsFile {
  const slots: [KeySlot, KeySlot] = storeIndex === 0 ? [store, other] : [other, store];
  return { format: 'aviso-client-store-key', version: 2, protection: 'passphrase', kdf, slots };
}

/**
 * Derives a key from `passphrase` for every slot (always both: the same work whichever slot, if
 * any, it opens) and tries each. Undefined when it opens none.
 */
export async function openSlots(file: SlotsFile, passphrase: string): Promise<SlotMatch | undefined> {
  const keks = await Promise.all(file.slots.map((s) => deriveWrappingKey(passphrase, Buffer.from(s.salt, 'base64'), file.kdf)));
  const opened = keks.map((kek, i) => open(file, i, kek));
  let match: SlotMatch | undefined;
  for (const [index, plain] of opened.entries()) {
    if (plain === undefined || match !== undefined) continue;
    const kek = keks[index]!;
    if (plain[0] === STORE_ALONE || plain[0] === STORE_WITH_DURESS) {
      match = { kind: 'store', index, kek, dbKey: Buffer.from(plain.subarray(1, 1 + DB_KEY_BYTES)), otherKek: Buffer.from(plain.subarray(1 + DB_KEY_BYTES)), otherIsDuress: plain[0] === STORE_WITH_DURESS };
    } else if (plain[0] === DURESS) {
      match = { kind: 'duress', index, kek };
    }
  }
  for (const plain of opened) plain?.fill(0);
  for (const kek of keks) if (kek !== (match?.kek)) kek.fill(0);
  return match;
}

/** A new store's slots: the database key under `passphrase` at a random index, filler in the other. */
export async function newSlots(dbKey: Uint8Array, passphrase: string, params: ScryptParams = scryptDefaults): Promise<SlotsFile> {
  if (passphrase.length === 0) throw new RangeError('the passphrase is empty');
  const kdf = { name: 'scrypt' as const, N: params.N, r: params.r, p: params.p };
  const salt = randomBytes(SALT_BYTES);
  const kek = await deriveWrappingKey(passphrase, salt, params);
  const fillerKek = randomBytes(32);
  const index = randomBytes(1)[0]! & 1;
  const file = assemble(kdf, index, seal(kdf, kek, salt, storePlain(dbKey, fillerKek, false)), filler(kdf, fillerKek, randomBytes(SALT_BYTES)));
  kek.fill(0);
  fillerKek.fill(0);
  return file;
}

/** A version 1 file's key, resealed as version 2 (its salt, and so its scrypt run, kept for the store's slot). */
export function upgradeSlots(kdf: SlotsFile['kdf'], salt: Buffer, kek: Buffer, dbKey: Uint8Array): SlotsFile {
  const fillerKek = randomBytes(32);
  const index = randomBytes(1)[0]! & 1;
  return assemble(kdf, index, seal(kdf, kek, salt, storePlain(dbKey, fillerKek, false)), filler(kdf, fillerKek, randomBytes(SALT_BYTES)));
}

function saltOf(file: SlotsFile, index: number): Buffer {
  return Buffer.from(file.slots[index]!.salt, 'base64');
}

/**
 * After an unlock by the store's slot: both slots resealed with fresh IVs, same salts, same
 * contents (the other slot regenerated under the key the store's slot holds for it).
 */
export function resealAfterUnlock(file: SlotsFile, m: Extract<SlotMatch, { kind: 'store' }>): SlotsFile {
  const other = 1 - m.index;
  const store = seal(file.kdf, m.kek, saltOf(file, m.index), storePlain(m.dbKey, m.otherKek, m.otherIsDuress));
  const rest = seal(file.kdf, m.otherKek, saltOf(file, other), m.otherIsDuress ? duressPlain() : randomBytes(SEALED_BYTES));
  return assemble(file.kdf, m.index, store, rest);
}

/**
 * After a duress unlock: the duress slot becomes an ordinary store slot holding `decoyKey` (a new,
 * empty store's) and the old store's slot becomes filler under a random key, salts unchanged: the
 * same fields change as in resealAfterUnlock, and the real database key is in neither.
 */
export function resealAfterDuress(file: SlotsFile, m: Extract<SlotMatch, { kind: 'duress' }>, decoyKey: Uint8Array): SlotsFile {
  const fillerKek = randomBytes(32);
  const store = seal(file.kdf, m.kek, saltOf(file, m.index), storePlain(decoyKey, fillerKek, false));
  const rest = filler(file.kdf, fillerKek, saltOf(file, 1 - m.index));
  fillerKek.fill(0);
  return assemble(file.kdf, m.index, store, rest);
}

/**
 * The store's slot under a new passphrase (new salt); the other slot kept. Both slots share one set
 * of scrypt parameters (the same work for either), so with a duress slot the file's parameters
 * stay (it cannot be rederived here); without one the current defaults are taken.
 */
export async function rekeyStoreSlot(file: SlotsFile, m: Extract<SlotMatch, { kind: 'store' }>, passphrase: string): Promise<SlotsFile> {
  const kdf = m.otherIsDuress ? file.kdf : { name: 'scrypt' as const, N: scryptDefaults.N, r: scryptDefaults.r, p: scryptDefaults.p };
  const salt = randomBytes(SALT_BYTES);
  const kek = await deriveWrappingKey(passphrase, salt, kdf);
  const store = seal(kdf, kek, salt, storePlain(m.dbKey, m.otherKek, m.otherIsDuress));
  kek.fill(0);
  const rest = m.otherIsDuress ? seal(kdf, m.otherKek, saltOf(file, 1 - m.index), duressPlain()) : seal(kdf, m.otherKek, randomBytes(SALT_BYTES), randomBytes(SEALED_BYTES));
  return assemble(kdf, m.index, store, rest);
}

/** Sets (or replaces) the duress slot: a new salt, scrypt(duress) sealing the duress marker. */
export async function withDuressSlot(file: SlotsFile, m: Extract<SlotMatch, { kind: 'store' }>, duressPassphrase: string): Promise<SlotsFile> {
  const salt = randomBytes(SALT_BYTES);
  const duressKek = await deriveWrappingKey(duressPassphrase, salt, file.kdf);
  const store = seal(file.kdf, m.kek, saltOf(file, m.index), storePlain(m.dbKey, duressKek, true));
  const rest = seal(file.kdf, duressKek, salt, duressPlain());
  duressKek.fill(0);
  return assemble(file.kdf, m.index, store, rest);
}

/** Drops the duress slot: filler (new salt, random key) in its place. */
export function withoutDuressSlot(file: SlotsFile, m: Extract<SlotMatch, { kind: 'store' }>): SlotsFile {
  const fillerKek = randomBytes(32);
  const store = seal(file.kdf, m.kek, saltOf(file, m.index), storePlain(m.dbKey, fillerKek, false));
  const rest = filler(file.kdf, fillerKek, randomBytes(SALT_BYTES));
  fillerKek.fill(0);
  return assemble(file.kdf, m.index, store, rest);
}

/** Whether `passphrase` opens the duress slot (to refuse a new passphrase equal to the duress one). */
export async function opensDuressSlot(file: SlotsFile, m: Extract<SlotMatch, { kind: 'store' }>, passphrase: string): Promise<boolean> {
  if (!m.otherIsDuress) return false;
  const other = 1 - m.index;
  const kek = await deriveWrappingKey(passphrase, saltOf(file, other), file.kdf);
  const plain = open(file, other, kek);
  kek.fill(0);
  const yes = plain?.[0] === DURESS;
  plain?.fill(0);
  return yes;
}

export function releaseMatch(m: SlotMatch | undefined): void {
  m?.kek.fill(0);
  if (m?.kind === 'store') {
    m.dbKey.fill(0);
    m.otherKek.fill(0);
  }
}
