import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AvisoClient, PassphraseConflictError, SqliteStore, WrongPassphraseError } from '../src/index.js';
import { SQLITE_FILE_NAME } from '../src/stores/sqlite/sqlite-store.js';
import { STORE_KEY_FILE_NAME, kdfRuns, wrapWithPassphrase, writeStoreKeyFile } from '../src/stores/sqlite/store-key.js';
import { slotWrites, unlockStore } from '../src/stores/sqlite/unlock.js';
import { useScryptFloor } from './scrypt-floor.js';

// The duress passphrase (docs/sdk.md "Duress passphrase"): it opens an empty store, the real key is
// destroyed, and the unlock runs the same KDF work and leaves the same files as a normal one.

useScryptFloor();

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./encrypted-store-child.ts', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aviso-duress-'));
  dirs.push(dir);
  return dir;
}

const REAL = 'the real passphrase';
const DURESS = 'the duress passphrase';
const ACCOUNT_ID = 'acct-duress-plaintext-marker';
const DISPLAY_NAME = 'Rosa Duress Displayname Marker';

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

/** A protected store with an account, a marker and some bulk (so its file is many pages), and a duress passphrase. Returns its database key. */
async function protectedStore(dir: string, duress = true): Promise<Buffer> {
  const client = await AvisoClient.open({ dataDir: dir, passphrase: REAL });
  if (duress) await client.setDuressPassphrase(REAL, DURESS);
  await client.close();
  const { dbKey } = await unlockStore(dir, { passphrase: REAL });
  const store = SqliteStore.open(dir, { key: dbKey! });
  store.commit({
    account: { relayUrl: 'http://127.0.0.1:1', trustRoot: new Uint8Array(33), accountId: ACCOUNT_ID, deviceId: 1, password: 'p'.repeat(43) },
    meta: { displayName: DISPLAY_NAME, bulk: 'x'.repeat(300_000) },
  });
  store.close();
  return dbKey!;
}

/** Every file's name and size, as an examiner lists the folder. */
function shape(dir: string): Array<[string, number]> {
  return readdirSync(dir)
    .sort()
    .map((f) => [f, statSync(join(dir, f)).size]);
}

type Slots = { version: number; kdf: unknown; slots: Array<Record<string, string>> };
const slotsOf = (dir: string) => JSON.parse(readFileSync(join(dir, STORE_KEY_FILE_NAME), 'utf8')) as Slots;

/** Which fields of which slot differ between two key files. */
function changedFields(before: Slots, after: Slots): string[] {
  return before.slots.flatMap((s, i) => Object.keys(s).filter((k) => s[k] !== after.slots[i]![k]).map((k) => `${i}.${k}`));
}

describe('the duress passphrase', () => {
  it('opens an empty, ordinary store and destroys the real key: the real passphrase and the real database key open nothing', async () => {
    const dir = tempDir();
    const realKey = await protectedStore(dir);
    const client = await AvisoClient.open({ dataDir: dir, passphrase: DURESS });
    expect(client.isRegistered).toBe(false);
    await client.close();
    expect(await errorOf(AvisoClient.open({ dataDir: dir, passphrase: REAL }))).toBeInstanceOf(WrongPassphraseError);
    // Someone who extracted the real database key before (or gets it later) finds no database it opens.
    expect(() => SqliteStore.open(dir, { key: realKey }).close()).toThrow(/not a database this key opens/);
    const bytes = Buffer.concat(readdirSync(dir).map((f) => readFileSync(join(dir, f))));
    for (const text of [ACCOUNT_ID, DISPLAY_NAME, realKey.toString('hex'), realKey.toString('base64')]) expect(bytes.includes(text)).toBe(false);
    // The duress passphrase is now the empty store's ordinary passphrase, and a second use is a normal unlock.
    const again = await AvisoClient.open({ dataDir: dir, passphrase: DURESS });
    expect(again.isRegistered).toBe(false);
    await again.close();
  });

  it('writes what a normal unlock writes: the same files and sizes, the same slot fields, the same KDF runs and key-file writes', async () => {
    const normal = tempDir();
    await protectedStore(normal);
    const duress = tempDir();
    rmSync(duress, { recursive: true });
    cpSync(normal, duress, { recursive: true });
    const slotsBefore = slotsOf(normal);

    const run = async (dir: string, passphrase: string) => {
      const kdf = kdfRuns.count;
      const writes = slotWrites.count;
      const client = await AvisoClient.open({ dataDir: dir, passphrase });
      const whileOpen = readdirSync(dir).sort();
      await client.close();
      return { kdf: kdfRuns.count - kdf, writes: slotWrites.count - writes, whileOpen, after: shape(dir), changed: changedFields(slotsBefore, slotsOf(dir)) };
    };
    const a = await run(normal, REAL);
    const b = await run(duress, DURESS);
    expect(a.kdf).toBe(2);
    expect(b.kdf).toBe(a.kdf);
    expect(b.writes).toBe(a.writes);
    expect(b.whileOpen).toEqual(a.whileOpen);
    expect(b.after).toEqual(a.after);
    expect(a.after.find(([f]) => f === SQLITE_FILE_NAME)![1]).toBeGreaterThan(300_000);
    // Salts stay, every IV, tag and ciphertext is new, in both slots, either way.
    expect(a.changed.sort()).toEqual(['0.iv', '0.sealed', '0.tag', '1.iv', '1.sealed', '1.tag']);
    expect(b.changed.sort()).toEqual(a.changed.sort());
    // A wrong passphrase costs the same KDF work and writes nothing.
    const kdf = kdfRuns.count;
    const before = readFileSync(join(normal, STORE_KEY_FILE_NAME));
    expect(await errorOf(AvisoClient.open({ dataDir: normal, passphrase: 'wrong' }))).toBeInstanceOf(WrongPassphraseError);
    expect(kdfRuns.count - kdf).toBe(2);
    expect(readFileSync(join(normal, STORE_KEY_FILE_NAME))).toEqual(before);
  });

  it('does not show in the key file whether it is set', async () => {
    const withDuress = tempDir();
    const without = tempDir();
    await protectedStore(withDuress, true);
    await protectedStore(without, false);
    const lengths = (s: Slots) => ({ version: s.version, kdf: s.kdf, slots: s.slots.map((x) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, v.length]))) });
    expect(lengths(slotsOf(withDuress))).toEqual(lengths(slotsOf(without)));
    expect(statSync(join(withDuress, STORE_KEY_FILE_NAME)).size).toBe(statSync(join(without, STORE_KEY_FILE_NAME)).size);
  });

  it('is refused when it equals the passphrase, survives a passphrase change, and clears', async () => {
    const dir = tempDir();
    const client = await AvisoClient.open({ dataDir: dir, passphrase: REAL });
    const identity = client.identityKey;
    expect(await errorOf(client.setDuressPassphrase('not it', DURESS))).toBeInstanceOf(WrongPassphraseError);
    expect(await errorOf(client.setDuressPassphrase(REAL, REAL.normalize('NFD')))).toBeInstanceOf(PassphraseConflictError);
    await client.setDuressPassphrase(REAL, DURESS);
    // The duress passphrase does not stand in for the real one in a change (and destroys nothing there).
    expect(await errorOf(client.changePassphrase(DURESS, 'x'))).toBeInstanceOf(WrongPassphraseError);
    expect(await errorOf(client.changePassphrase(REAL, DURESS))).toMatchObject({ code: 'PASSPHRASE_CONFLICT' });
    await client.changePassphrase(REAL, 'renewed');
    await client.clearDuressPassphrase('renewed');
    await client.close();
    // Cleared: the old duress passphrase is just a wrong one, and the store is intact.
    expect(await errorOf(AvisoClient.open({ dataDir: dir, passphrase: DURESS }))).toBeInstanceOf(WrongPassphraseError);
    const back = await AvisoClient.open({ dataDir: dir, passphrase: 'renewed' });
    expect(back.identityKey).toEqual(identity);
    await back.close();
  });

  it('a duress passphrase set before a change still destroys after it', async () => {
    const dir = tempDir();
    const client = await AvisoClient.open({ dataDir: dir, passphrase: REAL });
    await client.setDuressPassphrase(REAL, DURESS);
    await client.changePassphrase(REAL, 'renewed');
    await client.close();
    await (await AvisoClient.open({ dataDir: dir, passphrase: DURESS })).close();
    expect(await errorOf(AvisoClient.open({ dataDir: dir, passphrase: 'renewed' }))).toBeInstanceOf(WrongPassphraseError);
  });

  it('reads a version 1 key file and rewrites it as two slots', async () => {
    const dir = tempDir();
    const client = await AvisoClient.open({ dataDir: dir, passphrase: REAL });
    const identity = client.identityKey;
    await client.close();
    const { dbKey } = await unlockStore(dir, { passphrase: REAL });
    writeStoreKeyFile(join(dir, STORE_KEY_FILE_NAME), await wrapWithPassphrase(dbKey!, REAL, { N: 2 ** 14, r: 8, p: 1 }));
    expect(slotsOf(dir).version).toBe(1);
    expect(await errorOf(AvisoClient.open({ dataDir: dir, passphrase: 'wrong' }))).toBeInstanceOf(WrongPassphraseError);
    expect(slotsOf(dir).version).toBe(1);
    const again = await AvisoClient.open({ dataDir: dir, passphrase: REAL });
    expect(again.identityKey).toEqual(identity);
    await again.close();
    expect(slotsOf(dir).version).toBe(2);
  });

  it('killed with SIGKILL after the database is replaced and before the key slots are written: the real data is gone, the duress passphrase finishes the job', async () => {
    const dir = tempDir();
    const realKey = await protectedStore(dir);
    const run = spawnSync(process.execPath, ['--conditions=@aviso/source', '--import', 'tsx', CHILD, dir, DURESS], { cwd: REPO_ROOT, env: { ...process.env, AVISO_TEST_CRASH_AT: 'duress:replaced' }, encoding: 'utf8' });
    expect(run.signal).toBe('SIGKILL');
    expect(() => SqliteStore.open(dir, { key: realKey }).close()).toThrow(/not a database this key opens/);
    expect(await errorOf(AvisoClient.open({ dataDir: dir, passphrase: REAL }))).toMatchObject({ code: 'STORE_CORRUPT' });
    const decoy = await AvisoClient.open({ dataDir: dir, passphrase: DURESS });
    expect(decoy.isRegistered).toBe(false);
    await decoy.close();
    expect(await errorOf(AvisoClient.open({ dataDir: dir, passphrase: REAL }))).toBeInstanceOf(WrongPassphraseError);
    expect(readdirSync(dir).sort()).toEqual([SQLITE_FILE_NAME, STORE_KEY_FILE_NAME, 'aviso-client.lock'].sort());
  }, 60_000);
});
