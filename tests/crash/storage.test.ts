import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import { RelayRequestError, type AvisoClient } from '@aviso/client';
import { ErrorBody, ROUTES } from '@aviso/protocol';
import { ClientPool } from '../support/clients.js';
import { call, registerRaw, registrationBody } from '../support/raw-account.js';
import { RelayProcess } from '../support/relay.js';
import { slow } from '../support/scale.js';
import { CLIENT_OPTIONS, RELAY_ENV, Seen, sleep, until } from './helpers.js';
import { canMountExt4, canMountTmpfs, ext4ReadOnly, fileSizeLimit, tmpfsFull, type StorageFault } from './storage-faults.js';

// The relay's storage stops taking writes (disk full, read-only file system) while it runs. It must
// refuse new work with the typed, retryable STORAGE_UNAVAILABLE (503), keep serving what it already
// stores (queued envelopes still reach their device, reads work), not crash, not corrupt its
// database, and work normally once storage is back. Which faults can be simulated depends on the
// machine: mounting needs root (CI runs as root); a file size limit works for anyone.
const isRoot = process.getuid?.() === 0;
const tmpfs = canMountTmpfs();
const ext4 = canMountExt4();

let relay: RelayProcess | undefined;
let pool: ClientPool | undefined;
let fault: StorageFault | undefined;
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail' && relay) console.error(`--- relay log ---\n${relay.log.slice(-20_000)}`);
  await pool?.dispose();
  await relay?.dispose();
  fault?.dispose();
  relay = pool = fault = undefined;
});

async function until503<T>(what: string, fn: () => Promise<T>): Promise<RelayRequestError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof RelayRequestError) return err;
    throw err;
  }
  throw new Error(`${what} succeeded while storage was unavailable`);
}

function expectStorageUnavailable(err: RelayRequestError): void {
  expect({ code: err.code, status: err.status, retryable: err.retryable }).toEqual({ code: 'STORAGE_UNAVAILABLE', status: 503, retryable: true });
}

function integrity(dataDir: string): string {
  const db = new Database(join(dataDir, 'aviso.sqlite'), { readonly: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('\n');
  } finally {
    db.close();
  }
}

async function outage(make: () => StorageFault): Promise<void> {
  fault = make();
  console.info(`storage fault: ${fault.name}`);
  relay = await RelayProcess.start({ dataDir: fault.dataDir, env: RELAY_ENV });
  pool = new ClientPool();
  const token = await relay.createToken(5); // one CLI run: each costs a process start
  const open = async (name: string): Promise<AvisoClient> => {
    const c = await pool!.open(pool!.newDataDir(name), CLIENT_OPTIONS);
    await c.register({ relayUrl: relay!.url, registrationToken: token });
    return c;
  };
  const alice = await open('alice');
  const bob = await open('bob');
  const reader = await registerRaw(relay.url, token);
  const seen = new Seen(bob);

  // Bob is offline: these wait in the relay's queue when storage fails.
  const before = ['before|1', 'before|2', 'before|3'];
  for (const text of before) await alice.sendDirect(bob.accountId, { text });

  // Everything written so far reaches the disk first: this test is about what the relay does while
  // storage is gone. Files a relay writes without fsync are the next test's subject.
  execFileSync('sync');
  await fault.break(relay);

  // New sends are refused with the typed error. A transaction or two may still fit in space the
  // WAL already had; each of those was acknowledged and must be delivered like any other.
  const acked = [...before];
  let refused: RelayRequestError | undefined;
  for (let i = 1; i <= 30 && !refused; i++) {
    const text = `during|${i}`;
    try {
      await alice.sendDirect(bob.accountId, { text });
      acked.push(text);
    } catch (err) {
      if (!(err instanceof RelayRequestError)) throw err;
      refused = err;
    }
  }
  expect(refused, 'no send was refused while storage was unavailable').toBeDefined();
  console.info(`${fault.name}: ${acked.length - before.length} send(s) still fit before the first refusal`);
  expectStorageUnavailable(refused!);
  expectStorageUnavailable(await until503('a send', () => alice.sendDirect(bob.accountId, { text: 'during|again' })));
  // Registration writes too: refused the same way, as a body the SDK and raw clients can branch on.
  const { identity: _identity, ...registration } = registrationBody(token);
  const refusedRegistration = await call(relay.url, 'POST', ROUTES.accounts, { body: registration });
  expect(refusedRegistration.status).toBe(503);
  expect(ErrorBody.parse(refusedRegistration.body).error).toMatchObject({ code: 'STORAGE_UNAVAILABLE', retryable: true });

  // Reads keep working.
  expect((await fetch(new URL(ROUTES.relayInfo, relay.url))).status).toBe(200);
  const count = await fetch(new URL(ROUTES.keys, relay.url), { headers: { authorization: reader.authorization } });
  expect(count.status).toBe(200);

  // What the relay stores is still delivered: Bob connects (the WebSocket path) and gets his queue.
  await withTimeout(bob.connect(), 60_000, () => `Bob's connect() to drain his queue while storage is unavailable (got ${[...seen.counts.keys()].join(', ')})`);
  await until(() => acked.every((t) => seen.has(t)), () => `the queued messages (missing ${acked.filter((t) => !seen.has(t)).join(', ')})`);
  expect(relay.running, 'the relay process died').toBe(true);

  await fault.repair(relay);

  // Storage is back: sends work again, and nothing was lost, duplicated or corrupted.
  const after = await retryWhileUnavailable(() => alice.sendDirect(bob.accountId, { text: 'after|1' }));
  expect(after.sentAt).toBeGreaterThan(0);
  acked.push('after|1');
  await bob.connect(); // no-op if connected; resolves once drained
  await until(() => acked.every((t) => seen.has(t)), () => `every acknowledged message (missing ${acked.filter((t) => !seen.has(t)).join(', ')})`);
  await sleep(500); // room for a redelivered duplicate to surface, if one were coming
  expect(seen.duplicates()).toEqual([]);
  expect([...seen.counts.keys()].sort()).toEqual(acked.sort());
  expect(seen.rejected).toEqual([]);
  expect(seen.unexpectedErrors()).toEqual([]);
  const newcomer = await call(relay.url, 'POST', ROUTES.accounts, { body: registration }); // the token use refused above was not spent
  expect(newcomer.status).toBe(200);

  await relay.stop();
  expect(integrity(fault.dataDir)).toBe('ok');
}

/** After repair the relay may still be finishing its restart; a retryable refusal is worth a retry, nothing else is. */
async function retryWhileUnavailable<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof RelayRequestError) || !err.retryable || attempt >= 20) throw err;
      await sleep(250);
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what()}`)), ms)))]).finally(() => clearTimeout(timer));
}

describe('relay storage becomes unavailable while it runs', () => {
  test(`disk full: ${tmpfs ? 'a tmpfs filled to the last byte' : 'file size limit (no mount here)'}`, () => outage(tmpfs ? tmpfsFull : fileSizeLimit), 300_000);

  // The unprivileged method on its own; in the quick suite only where it is not already the disk-full fallback above.
  if (slow) test('file size limit (EFBIG), the unprivileged way to fill a disk', () => outage(fileSizeLimit), 300_000);

  test(`read-only: ${ext4 ? 'ext4 turned read-only by the kernel' : 'file size limit (no loop-mounted ext4 here)'}`, () => outage(ext4 ? ext4ReadOnly : fileSizeLimit), 300_000);
});

// A file system error (or a power cut) soon after a write loses what was written but never fsynced:
// ext4 commits the rename of a new file long before its data. The relay's keys are its identity,
// pinned by every client, so they must survive that. Needs the ext4 loop mount; no other method
// can drop unsynced data, so without it this test is not registered.
if (ext4) {
  describe('relay keys on a file system that fails right after the first start', () => {
    test('the relay comes back with the same trust root', async () => {
      fault = ext4ReadOnly();
      relay = await RelayProcess.start({ dataDir: fault.dataDir, env: RELAY_ENV }); // generates and writes its keys
      const before = await (await fetch(new URL(ROUTES.relayInfo, relay.url))).json() as { trustRoot: string };
      await fault.break(relay);
      await fault.repair(relay);
      const after = await (await fetch(new URL(ROUTES.relayInfo, relay.url))).json() as { trustRoot: string };
      expect(after.trustRoot).toBe(before.trustRoot);
      await relay.stop();
      expect(integrity(fault.dataDir)).toBe('ok');
    }, 300_000);
  });
}

describe('relay started on a read-only data folder', () => {
  test(`refuses to start with a one-line reason, changes nothing, and starts once the folder is writable (${isRoot ? 'read-only bind mount' : 'chmod'})`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aviso-ro-'));
    const r = await RelayProcess.start({ dataDir, env: RELAY_ENV });
    relay = r;
    const token = await r.createToken();
    await r.stop();
    const files = readdirSync(dataDir).sort();
    const makeReadOnly = isRoot
      ? () => {
          execMount('--bind', dataDir, dataDir);
          execMount('-o', 'remount,ro,bind', dataDir);
        }
      : () => chmodSync(dataDir, 0o500);
    const makeWritable = isRoot ? () => execUmount(dataDir) : () => chmodSync(dataDir, 0o700);
    makeReadOnly();
    try {
      const started = await r.start().then(
        () => undefined,
        (err: unknown) => String(err),
      );
      expect(started, 'the relay started on a read-only folder').toBeDefined();
      expect(started).toMatch(/read-only/);
      expect(readdirSync(dataDir).sort()).toEqual(files);
    } finally {
      makeWritable();
    }
    expect(integrity(dataDir)).toBe('ok');
    await r.start();
    pool = new ClientPool();
    const member = await pool.open(pool.newDataDir('member'), CLIENT_OPTIONS);
    await member.register({ relayUrl: r.url, registrationToken: token }); // the token made before is still there
    expect(member.isRegistered).toBe(true);
    await r.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 300_000);
});

function execMount(...args: string[]): void {
  execFileSync('mount', args, { stdio: 'ignore' });
}
function execUmount(dir: string): void {
  execFileSync('umount', [dir], { stdio: 'ignore' });
}
