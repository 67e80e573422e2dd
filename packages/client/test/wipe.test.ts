import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AvisoClient, DataDirLockedError, KeyFileError, SqliteStore, StoreWipedError, createKeyFile, storeProtection, wipeDataDir } from '../src/index.js';
import { STORE_KEY_FILE_NAME } from '../src/stores/sqlite/store-key.js';
import { unlockStore } from '../src/stores/sqlite/unlock.js';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./wipe-child.ts', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aviso-wipe-'));
  dirs.push(dir);
  return dir;
}

const ACCOUNT_ID = 'acct-wipe-plaintext-marker';
const DISPLAY_NAME = 'Rosa Wipe Marker';

/** A store in `dir/store` holding known plaintexts; returns the folder and its database key. */
async function plantedStore(root: string, secret: { passphrase: string } | { keyFile: string } | undefined): Promise<{ dir: string; dbKey: Buffer | undefined }> {
  const dir = join(root, 'store');
  await (await AvisoClient.open({ dataDir: dir, ...secret })).close();
  const { dbKey } = await unlockStore(dir, secret);
  const store = SqliteStore.open(dir, dbKey ? { key: dbKey } : {});
  store.commit({
    account: { relayUrl: 'http://127.0.0.1:1', trustRoot: new Uint8Array(33), accountId: ACCOUNT_ID, deviceId: 1, password: 'p'.repeat(43) },
    meta: { displayName: DISPLAY_NAME },
  });
  store.close();
  return { dir, dbKey };
}

function folderBytes(dir: string): Buffer {
  return existsSync(dir) ? Buffer.concat(readdirSync(dir).map((f) => readFileSync(join(dir, f)))) : Buffer.alloc(0);
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('wiping a store', () => {
  it('client.wipe() removes the folder; the passphrase then opens only a new, empty identity', async () => {
    const root = tempDir();
    const { dir } = await plantedStore(root, { passphrase: 'pw' });
    const c = await AvisoClient.open({ dataDir: dir, passphrase: 'pw' });
    const identity = c.identityKey;
    expect(c.accountId).toBe(ACCOUNT_ID);
    await c.wipe();
    expect(existsSync(dir)).toBe(false);
    expect(await errorOf(c.wipe())).toBeDefined(); // closed: no second wipe through it
    const fresh = await AvisoClient.open({ dataDir: dir, passphrase: 'pw' });
    expect(fresh.identityKey).not.toEqual(identity);
    expect(fresh.isRegistered).toBe(false);
    await fresh.close();
  });

  it('wipeDataDir needs no secret, refuses a folder a client holds open, and keeps files that are not the SDK\'s', async () => {
    const root = tempDir();
    const { dir } = await plantedStore(root, { passphrase: 'pw' });
    const held = await AvisoClient.open({ dataDir: dir, passphrase: 'pw' });
    expect(() => wipeDataDir(dir)).toThrow(DataDirLockedError);
    await held.close();
    expect((await AvisoClient.open({ dataDir: dir, passphrase: 'pw' }).then(async (c) => [c.accountId, await c.close()]))[0]).toBe(ACCOUNT_ID);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    wipeDataDir(dir);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    wipeDataDir(join(root, 'never-existed')); // already wiped: a no-op
  });

  it('destroys the key file of a key-file store first, and wipes a plain store too', async () => {
    const root = tempDir();
    const keyFile = join(root, 'bot.key');
    createKeyFile(keyFile);
    const { dir } = await plantedStore(root, { keyFile });
    const c = await AvisoClient.open({ dataDir: dir, keyFile });
    await c.wipe();
    expect(existsSync(keyFile)).toBe(false);
    expect(existsSync(dir)).toBe(false);

    const plainRoot = tempDir();
    const plain = await plantedStore(plainRoot, undefined);
    expect(folderBytes(plain.dir).includes(ACCOUNT_ID)).toBe(true); // the positive control
    wipeDataDir(plain.dir);
    expect(existsSync(plain.dir)).toBe(false);
  });

  describe('killed with SIGKILL part-way', () => {
    const STEPS = ['key-shredded', 'files-shredded', 'removed'] as const;
    it.each(STEPS)('after %s: nothing decryptable is left, open() says STORE_WIPED or starts afresh, a second wipe finishes', async (step) => {
      const root = tempDir();
      const { dir, dbKey } = await plantedStore(root, { passphrase: 'pw' });
      // The slots as they were (the child's unlock reseals them again before it wipes: the database key check below is the one that counts).
      const wrapped = JSON.parse(readFileSync(join(dir, STORE_KEY_FILE_NAME), 'utf8')) as { slots: Array<{ sealed: string }> };
      const run = spawnSync(process.execPath, ['--conditions=@aviso/source', '--import', 'tsx', CHILD, dir, 'pw'], { cwd: REPO_ROOT, env: { ...process.env, AVISO_TEST_CRASH_AT: `wipe:${step}` }, encoding: 'utf8' });
      expect(run.signal).toBe('SIGKILL');
      const left = folderBytes(dir);
      for (const slot of wrapped.slots) expect(left.includes(slot.sealed)).toBe(false);
      expect(left.includes(dbKey!)).toBe(false);
      expect(left.includes(dbKey!.toString('hex'))).toBe(false);
      if (step !== 'removed') {
        expect(() => storeProtection(dir)).toThrow(StoreWipedError);
        expect(await errorOf(AvisoClient.open({ dataDir: dir, passphrase: 'pw' }))).toBeInstanceOf(StoreWipedError);
      }
      wipeDataDir(dir);
      expect(existsSync(dir)).toBe(false);
    }, 60_000);

    it('after the key file is destroyed, the store no longer opens with it (KEY_FILE_INVALID)', async () => {
      const root = tempDir();
      const keyFile = join(root, 'bot.key');
      createKeyFile(keyFile);
      const { dir, dbKey } = await plantedStore(root, { keyFile });
      const run = spawnSync(process.execPath, ['--conditions=@aviso/source', '--import', 'tsx', CHILD, dir, '-', keyFile], { cwd: REPO_ROOT, env: { ...process.env, AVISO_TEST_CRASH_AT: 'wipe:key-file-shredded' }, encoding: 'utf8' });
      expect(run.signal).toBe('SIGKILL');
      expect(existsSync(keyFile)).toBe(false);
      expect(folderBytes(dir).includes(dbKey!.toString('hex'))).toBe(false);
      const err = await errorOf(AvisoClient.open({ dataDir: dir, keyFile }));
      expect(err).toBeInstanceOf(KeyFileError);
      expect((err as KeyFileError).reason).toBe('missing');
      wipeDataDir(dir, { keyFile });
      expect(existsSync(dir)).toBe(false);
    }, 60_000);
  });

  it('storeProtection tells a passphrase store, a key-file store and a plain one apart without a secret', async () => {
    const root = tempDir();
    expect(storeProtection(join(root, 'none'))).toBe('none');
    expect(storeProtection((await plantedStore(join(root, 'a'), { passphrase: 'pw' })).dir)).toBe('passphrase');
    const keyFile = join(root, 'k');
    createKeyFile(keyFile);
    expect(storeProtection((await plantedStore(join(root, 'b'), { keyFile })).dir)).toBe('key-file');
    expect(storeProtection((await plantedStore(join(root, 'c'), undefined)).dir)).toBe('none');
  });
});
