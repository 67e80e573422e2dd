import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AvisoClient, DataDirLockedError, MemoryStore } from '../src/index.js';
import { DataDirLock } from '../src/stores/data-dir-lock.js';
import { SQLITE_FILE_NAME } from '../src/stores/sqlite/sqlite-store.js';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const HOLDER = fileURLToPath(new URL('./data-dir-lock-holder.ts', import.meta.url));

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aviso-lock-'));
  dirs.push(dir);
  return dir;
}

/** A child process that opens the SDK on `dir` and holds it; resolves once it printed "held". */
async function holder(dir: string): Promise<{ child: ChildProcess; lines: AsyncIterator<string> }> {
  const child = spawn(process.execPath, ['--conditions=@aviso/source', '--import', 'tsx', HOLDER, dir], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  expect(first.value).toBe('held');
  return { child, lines };
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

function expectLocked(err: unknown, dir: string): void {
  expect(err).toBeInstanceOf(DataDirLockedError);
  expect(err).toMatchObject({ name: 'DataDirLockedError', code: 'DATA_DIR_LOCKED', dataDir: dir });
  expect((err as Error).message).toContain(dir);
}

describe('the data folder lock', () => {
  it('refuses a second open in the same process until the first closes', async () => {
    const dir = tempDir();
    const a = await AvisoClient.open({ dataDir: dir });
    expectLocked(await AvisoClient.open({ dataDir: dir }).catch((e: unknown) => e), dir);
    await a.close();
    const b = await AvisoClient.open({ dataDir: dir });
    expect(b.identityKey).toEqual(a.identityKey);
    await b.close();
  });

  it('is taken before the store is opened, so a refused open leaves a fresh folder untouched', async () => {
    const dir = tempDir();
    const lock = DataDirLock.acquire(dir);
    expectLocked(await AvisoClient.open({ dataDir: dir }).catch((e: unknown) => e), dir);
    expect(existsSync(join(dir, SQLITE_FILE_NAME))).toBe(false);
    lock.release();
    await (await AvisoClient.open({ dataDir: dir })).close();
  });

  it('is released when opening fails after taking it', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, SQLITE_FILE_NAME)); // a folder where the store's file should be: the store cannot open
    await expect(AvisoClient.open({ dataDir: dir })).rejects.not.toBeInstanceOf(DataDirLockedError);
    DataDirLock.acquire(dir).release();
  });

  it('does not lock a folder when the caller passes its own store', async () => {
    const dir = tempDir();
    const lock = DataDirLock.acquire(dir);
    await (await AvisoClient.open({ dataDir: dir, store: new MemoryStore() })).close();
    lock.release();
  });

  it('refuses an open from another process while one holds the folder, and frees it on close', async () => {
    const dir = tempDir();
    const { child, lines } = await holder(dir);
    expectLocked(await AvisoClient.open({ dataDir: dir }).catch((e: unknown) => e), dir);
    child.stdin!.end();
    expect((await lines.next()).value).toBe('closed');
    await exited(child);
    await (await AvisoClient.open({ dataDir: dir })).close();
  });

  it('leaves no stale lock when the holding process is killed -9', async () => {
    const dir = tempDir();
    const { child } = await holder(dir);
    expectLocked(await AvisoClient.open({ dataDir: dir }).catch((e: unknown) => e), dir);
    child.kill('SIGKILL');
    await exited(child);
    expect(child.signalCode).toBe('SIGKILL');
    const reopened = await AvisoClient.open({ dataDir: dir });
    await reopened.close();
  });
});
