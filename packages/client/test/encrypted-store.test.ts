import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AvisoClient, KeyFileError, NotPassphraseProtectedError, PassphraseRequiredError, SqliteStore, StoreCorruptError, WrongPassphraseError, createKeyFile } from '../src/index.js';
import { SQLITE_FILE_NAME } from '../src/stores/sqlite/sqlite-store.js';
import { STORE_KEY_FILE_NAME } from '../src/stores/sqlite/store-key.js';
import { unlockStore } from '../src/stores/sqlite/unlock.js';
import { useScryptFloor } from './scrypt-floor.js';

useScryptFloor(); // the crash children below run at the default cost

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./encrypted-store-child.ts', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aviso-enc-'));
  dirs.push(dir);
  return dir;
}

const ACCOUNT_ID = 'acct-7f3e2b19-plaintext-marker';
const DISPLAY_NAME = 'Rosa Displayname Marker';
const GROUP_TITLE = 'Eastside Rapid Response Title Marker';
const PLAINTEXTS = [ACCOUNT_ID, DISPLAY_NAME, GROUP_TITLE];

/** Writes the known plaintexts into the store in `dir` (opened with `key`, or plain). */
function plant(dir: string, key?: Uint8Array): void {
  const store = SqliteStore.open(dir, key ? { key } : {});
  store.commit({
    account: { relayUrl: 'http://127.0.0.1:1', trustRoot: new Uint8Array(33), accountId: ACCOUNT_ID, deviceId: 1, password: 'p'.repeat(43) },
    meta: { displayName: DISPLAY_NAME, groupTitle: GROUP_TITLE },
  });
  store.close();
}

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, `${statSync(join(dir, f)).mtimeMs}:${readFileSync(join(dir, f)).toString('base64')}`]));
}

function folderBytes(dir: string): Buffer {
  return Buffer.concat(readdirSync(dir).map((f) => readFileSync(join(dir, f))));
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('the encrypted store', () => {
  it('holds none of the plaintexts and is not a plain SQLite file; the right passphrase reopens it', async () => {
    const dir = tempDir();
    const first = await AvisoClient.open({ dataDir: dir, passphrase: 'correct horse' });
    const identity = first.identityKey;
    await first.close();
    const { dbKey } = await unlockStore(dir, { passphrase: 'correct horse' });
    plant(dir, dbKey);
    // The same store written plain is the positive control: the search finds them there.
    const control = tempDir();
    plant(control);
    for (const text of PLAINTEXTS) expect(folderBytes(control).includes(text)).toBe(true);
    for (const text of PLAINTEXTS) expect(folderBytes(dir).includes(text)).toBe(false);
    expect(readFileSync(join(dir, SQLITE_FILE_NAME)).subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\0');
    expect(readFileSync(join(control, SQLITE_FILE_NAME)).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
    const again = await AvisoClient.open({ dataDir: dir, passphrase: 'correct horse' });
    expect(again.identityKey).toEqual(identity);
    expect(again.accountId).toBe(ACCOUNT_ID);
    await again.close();
  });

  it('refuses a wrong passphrase with WRONG_PASSPHRASE and changes no file', async () => {
    const dir = tempDir();
    await (await AvisoClient.open({ dataDir: dir, passphrase: 'correct horse' })).close();
    const before = snapshot(dir);
    const err = await errorOf(AvisoClient.open({ dataDir: dir, passphrase: 'correct hors' }));
    expect(err).toBeInstanceOf(WrongPassphraseError);
    expect(err).toMatchObject({ code: 'WRONG_PASSPHRASE', dataDir: dir });
    expect(snapshot(dir)).toEqual(before);
    // And the lock was released: the right passphrase still opens it.
    await (await AvisoClient.open({ dataDir: dir, passphrase: 'correct horse' })).close();
  });

  it('needs its secret: PASSPHRASE_REQUIRED without one, or with the other kind', async () => {
    const dir = tempDir();
    await (await AvisoClient.open({ dataDir: dir, passphrase: 'pw' })).close();
    const before = snapshot(dir);
    expect(await errorOf(AvisoClient.open({ dataDir: dir }))).toMatchObject({ code: 'PASSPHRASE_REQUIRED', needs: 'passphrase' });
    const keyFile = join(tempDir(), 'key');
    createKeyFile(keyFile);
    expect(await errorOf(AvisoClient.open({ dataDir: dir, keyFile }))).toBeInstanceOf(PassphraseRequiredError);
    expect(snapshot(dir)).toEqual(before);
  });

  it('changePassphrase rewraps the key: the old passphrase fails, the new one opens the same store', async () => {
    const dir = tempDir();
    const a = await AvisoClient.open({ dataDir: dir, passphrase: 'old one' });
    const identity = a.identityKey;
    expect(await errorOf(a.changePassphrase('not it', 'new one'))).toBeInstanceOf(WrongPassphraseError);
    await a.changePassphrase('old one', 'new one');
    await a.close();
    expect(await errorOf(AvisoClient.open({ dataDir: dir, passphrase: 'old one' }))).toBeInstanceOf(WrongPassphraseError);
    const b = await AvisoClient.open({ dataDir: dir, passphrase: 'new one' });
    expect(b.identityKey).toEqual(identity);
    await b.close();
    const plain = await AvisoClient.open({ dataDir: tempDir() });
    expect(await errorOf(plain.changePassphrase('a', 'b'))).toBeInstanceOf(NotPassphraseProtectedError);
    await plain.close();
  });

  it('opens with a key file kept elsewhere, and tells a wrong or missing key file apart', async () => {
    const dir = tempDir();
    const elsewhere = tempDir();
    const keyFile = join(elsewhere, 'bot.key');
    createKeyFile(keyFile);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const a = await AvisoClient.open({ dataDir: dir, keyFile });
    const identity = a.identityKey;
    await a.close();
    const b = await AvisoClient.open({ dataDir: dir, keyFile });
    expect(b.identityKey).toEqual(identity);
    await b.close();
    const other = join(elsewhere, 'other.key');
    createKeyFile(other);
    expect(await errorOf(AvisoClient.open({ dataDir: dir, keyFile: other }))).toMatchObject({ code: 'KEY_FILE_INVALID', reason: 'wrong-key' });
    expect(await errorOf(AvisoClient.open({ dataDir: dir, keyFile: join(elsewhere, 'gone') }))).toMatchObject({ code: 'KEY_FILE_INVALID', reason: 'missing' });
    writeFileSync(join(elsewhere, 'short'), 'abc');
    expect(await errorOf(AvisoClient.open({ dataDir: dir, keyFile: join(elsewhere, 'short') }))).toBeInstanceOf(KeyFileError);
    expect(await errorOf(AvisoClient.open({ dataDir: dir }))).toMatchObject({ code: 'PASSPHRASE_REQUIRED', needs: 'key-file' });
  });

  it('creates its files 0600 and its folder 0700, and tightens a plain store made 0644', async () => {
    const dir = join(tempDir(), 'member');
    const c = await AvisoClient.open({ dataDir: dir, passphrase: 'pw' });
    // While open: the -wal and -shm exist too.
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files).toEqual(expect.arrayContaining([SQLITE_FILE_NAME, `${SQLITE_FILE_NAME}-wal`, `${SQLITE_FILE_NAME}-shm`, STORE_KEY_FILE_NAME, 'aviso-client.lock']));
    for (const f of files) expect([f, statSync(join(dir, f)).mode & 0o777]).toEqual([f, 0o600]);
    await c.close();
  });

  it('a truncated or corrupted database is a typed error, and a plain store stays plain without a secret', async () => {
    const dir = tempDir();
    const c = await AvisoClient.open({ dataDir: dir, passphrase: 'pw' });
    await c.close();
    plant(dir, (await unlockStore(dir, { passphrase: 'pw' })).dbKey);
    const path = join(dir, SQLITE_FILE_NAME);
    const size = statSync(path).size;
    truncateSync(path, Math.floor(size / 2));
    expect(await errorOf(AvisoClient.open({ dataDir: dir, passphrase: 'pw' }))).toBeInstanceOf(StoreCorruptError);
    truncateSync(path, 100);
    expect(await errorOf(AvisoClient.open({ dataDir: dir, passphrase: 'pw' }))).toMatchObject({ code: 'STORE_CORRUPT' });
    writeFileSync(join(dir, STORE_KEY_FILE_NAME), '{"format":');
    expect(await errorOf(AvisoClient.open({ dataDir: dir, passphrase: 'pw' }))).toMatchObject({ code: 'STORE_CORRUPT' });

    const garbage = tempDir();
    writeFileSync(join(garbage, SQLITE_FILE_NAME), Buffer.alloc(8192, 7));
    expect(await errorOf(AvisoClient.open({ dataDir: garbage }))).toBeInstanceOf(StoreCorruptError);
    expect(await errorOf(AvisoClient.open({ dataDir: garbage, passphrase: 'pw' }))).toBeInstanceOf(StoreCorruptError);
  });
});

describe('encrypting a plain store in place', () => {
  const STEPS = ['key-staged', 'wal-folded', 'copying', 'exported', 'linked', 'swapped', 'key-committed', 'shredded'];

  it.each(STEPS)('loses nothing when killed with SIGKILL after %s', async (step) => {
    const dir = tempDir();
    const plainClient = await AvisoClient.open({ dataDir: dir });
    const identity = plainClient.identityKey;
    await plainClient.close();
    plant(dir);
    const run = spawnSync(process.execPath, ['--conditions=@aviso/source', '--import', 'tsx', CHILD, dir, 'pw'], {
      cwd: REPO_ROOT,
      env: { ...process.env, AVISO_TEST_CRASH_AT: step },
      encoding: 'utf8',
    });
    expect(run.signal).toBe('SIGKILL');
    // Whichever side of the swap the kill fell on, the store opens with the passphrase, whole, and encrypted from then on.
    const c = await AvisoClient.open({ dataDir: dir, passphrase: 'pw' });
    expect(c.identityKey).toEqual(identity);
    expect(c.accountId).toBe(ACCOUNT_ID);
    await c.close();
    expect(readdirSync(dir).sort()).toEqual([SQLITE_FILE_NAME, STORE_KEY_FILE_NAME, 'aviso-client.lock'].sort());
    for (const text of PLAINTEXTS) expect(folderBytes(dir).includes(text)).toBe(false);
    expect(await errorOf(AvisoClient.open({ dataDir: dir, passphrase: 'other' }))).toBeInstanceOf(WrongPassphraseError);
  }, 60_000);

  it('converts on the first open with a passphrase, keeping everything', async () => {
    const dir = tempDir();
    const a = await AvisoClient.open({ dataDir: dir });
    const identity = a.identityKey;
    await a.close();
    plant(dir);
    expect(folderBytes(dir).includes(ACCOUNT_ID)).toBe(true);
    const b = await AvisoClient.open({ dataDir: dir, passphrase: 'pw' });
    expect(b.identityKey).toEqual(identity);
    expect(b.accountId).toBe(ACCOUNT_ID);
    await b.close();
    for (const text of PLAINTEXTS) expect(folderBytes(dir).includes(text)).toBe(false);
  });
});
