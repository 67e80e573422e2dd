import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { BACKUP_MAGIC, decodeBackupHeader, encodeBackupHeader } from '../../src/cli/backup-format.js';
import { createBackup } from '../../src/cli/backup.js';
import { acquireDataLock } from '../../src/cli/data-lock.js';
import { restoreBackup } from '../../src/cli/restore.js';
import { EXIT_FAILURE, EXIT_OK, runCli } from '../../src/cli/run.js';
import { createContext, createLogger, loadConfig } from '../../src/index.js';
import { LogSink, registerUser, tempDir, testRelay } from '../helpers.js';

const require = createRequire(import.meta.url);

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

/**
 * Name → SHA-256 of every file under `dir`: "unchanged" means this is equal before and after. The
 * lock file is left out: `restore` creates it to lock the folder, and it holds no relay data.
 */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name.startsWith('relay.lock')) continue;
    const path = join(entry.parentPath, entry.name);
    files[path.slice(dir.length)] = createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return files;
}

/** A relay data folder with accounts and queued envelopes; its context stays open (a relay running). */
async function relayWithData(accounts = 3, envelopes = 5): Promise<{ dir: string; accountIds: string[]; trustRoot: string }> {
  const relay = await testRelay();
  const users = [];
  for (let i = 0; i < accounts; i++) users.push(await registerUser(relay));
  const insert = relay.ctx.storage.db.$client.prepare(
    'INSERT INTO messages (guid, account_id, device_id, received_at, expires_at, content) VALUES (?, ?, 1, ?, ?, ?)',
  );
  for (let i = 0; i < envelopes; i++) insert.run(crypto.randomUUID(), users[i % users.length]!.accountId, Date.now(), Date.now() + 86_400_000, Buffer.alloc(300, i));
  const trustRoot = relay.ctx.relayInfo.trustRoot;
  return { dir: relay.ctx.config.dataDir, accountIds: users.map((u) => u.accountId), trustRoot };
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

describe('aviso-relay backup and restore', () => {
  test('a backup restores into a fresh folder with the same data and the same trust root', async () => {
    const { dir, accountIds, trustRoot } = await relayWithData(3, 5);
    const file = join(tempDir(), 'relay.aviso-backup');
    const b = capture();
    expect(await runCli(['backup', file], { AVISO_DATA_DIR: dir }, b.io)).toBe(EXIT_OK);
    expect(b.out).toEqual([file]);
    expect(b.err.join('\n')).toMatch(/contains the relay's PRIVATE KEYS/);
    expect(b.err.join('\n')).toMatch(/3 accounts, 0 groups, 5 queued envelopes/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, BACKUP_MAGIC.length).toString()).toBe(BACKUP_MAGIC);
    const decoded = decodeBackupHeader(bytes);
    if ('problem' in decoded) throw new Error(decoded.problem);
    expect(decoded.header.trustRootSha256).toBe(sha256(Buffer.from(trustRoot, 'base64')).toString('base64url'));
    expect(decoded.header.relayKeys).toEqual(JSON.parse(readFileSync(join(dir, 'relay-keys.json'), 'utf8')));
    // The rest is a plain SQLite database (what `tail -n +3` recovers).
    expect(bytes.subarray(decoded.offset, decoded.offset + 16).toString('latin1')).toBe('SQLite format 3\0');
    expect(readdirSync(join(file, '..'))).toEqual(['relay.aviso-backup']); // no temporary files left

    const target = join(tempDir(), 'restored');
    const r = capture();
    expect(await runCli(['restore', file, '--data-dir', target], {}, r.io)).toBe(EXIT_OK);
    expect(r.out.join('\n')).toMatch(/3 accounts, 0 groups, 5 queued envelopes/);
    expect(r.out.join('\n')).toContain(sha256(Buffer.from(trustRoot, 'base64')).toString('hex'));
    expect(statSync(target).mode & 0o777).toBe(0o700);
    for (const name of ['aviso.sqlite', 'relay-keys.json']) expect(statSync(join(target, name)).mode & 0o777, name).toBe(0o600);
    expect(readdirSync(target).filter((n) => n.startsWith('.restore-'))).toEqual([]);

    const ctx = createContext(loadConfig({ AVISO_DATA_DIR: target }), { logger: createLogger('error', new LogSink().stream), sweepIntervalMs: 0 });
    try {
      expect(ctx.relayInfo.trustRoot).toBe(trustRoot);
      const rows = ctx.storage.db.$client.prepare('SELECT id FROM accounts ORDER BY id').all() as { id: string }[];
      expect(rows.map((x) => x.id)).toEqual([...accountIds].sort());
      expect((ctx.storage.db.$client.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n).toBe(5);
    } finally {
      ctx.close();
    }

    const info = capture();
    expect(await runCli(['info', '--json', '--data-dir', target], {}, info.io)).toBe(EXIT_OK);
    const report = JSON.parse(info.out.join('\n')) as { counts: Record<string, number>; trustRoot: { trustRoot: string } };
    expect(report.counts).toMatchObject({ accounts: 3, devices: 3, groups: 0, queuedEnvelopes: 5 });
    expect(report.trustRoot.trustRoot).toBe(trustRoot);
    for (const id of accountIds) expect(info.out.join('\n')).not.toContain(id);
  });

  test('restore refuses a damaged backup in one line and changes nothing', async () => {
    const { dir } = await relayWithData(1, 1);
    const good = join(tempDir(), 'good.bak');
    await createBackup({ dataDir: dir, file: good, force: false, now: new Date() });
    const bytes = readFileSync(good);
    const decoded = decodeBackupHeader(bytes);
    if ('problem' in decoded) throw new Error(decoded.problem);
    const folder = tempDir();
    const write = (name: string, content: Uint8Array | string) => {
      const path = join(folder, name);
      writeFileSync(path, content);
      return path;
    };

    // A valid checksum over a broken database: only SQLite's integrity check can tell.
    const db = Buffer.from(bytes.subarray(decoded.offset));
    const pageSize = db.readUInt16BE(16);
    db.fill(0xff, pageSize * 2, pageSize * 2 + 64); // the header of page 3, a b-tree page
    const brokenDb = Buffer.concat([encodeBackupHeader({ ...decoded.header, database: { bytes: db.length, sha256: sha256(db).toString('hex') } }), db]);
    const wrongKeys = Buffer.concat([encodeBackupHeader({ ...decoded.header, trustRootSha256: 'A'.repeat(43) }), bytes.subarray(decoded.offset)]);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 5]! ^= 0x01;

    const cases: [string, RegExp][] = [
      [write('truncated.bak', bytes.subarray(0, bytes.length - 1000)), /is truncated \(\d+ bytes, expected \d+\) — nothing was changed$/],
      [write('header-only.bak', bytes.subarray(0, decoded.offset)), /is truncated/],
      [write('cut-header.bak', bytes.subarray(0, 100)), /is damaged \(unreadable header\) — nothing was changed$/],
      [write('longer.bak', Buffer.concat([bytes, Buffer.from('x')])), /is damaged \(\d+ bytes, expected \d+\)/],
      [write('flipped.bak', flipped), /is damaged \(checksum mismatch\) — nothing was changed$/],
      [write('broken-db.bak', brokenDb), /is damaged \(.+\) — nothing was changed$/],
      [write('wrong-keys.bak', wrongKeys), /holds unusable relay keys \(.+\) — nothing was changed$/],
      [write('notes.txt', 'shopping list\n'), /notes\.txt is not an aviso-relay backup$/],
      [write('empty.bak', ''), /is not an aviso-relay backup$/],
      [write('future.bak', 'AVISO-RELAY-BACKUP 2\n{}\n'), /was written by a newer aviso-relay — upgrade Aviso, then restore$/],
    ];
    for (const force of [false, true]) {
      for (const [path, message] of cases) {
        // Into the live data folder (with --force, so only the damage can stop it) and into a new one.
        const target = force ? dir : join(folder, 'fresh');
        const before = existsSync(target) ? snapshot(target) : undefined;
        const c = capture();
        const argv = ['restore', path, '--data-dir', target, ...(force ? ['--force'] : [])];
        expect(await runCli(argv, {}, c.io), argv.join(' ')).toBe(EXIT_FAILURE);
        expect(c.err, argv.join(' ')).toHaveLength(1);
        expect(c.err[0], argv.join(' ')).toMatch(/^aviso-relay: /);
        expect(c.err[0], argv.join(' ')).toMatch(message);
        if (before === undefined) expect(existsSync(target), argv.join(' ')).toBe(false);
        else expect(snapshot(target), argv.join(' ')).toEqual(before);
      }
    }
    // The good one still restores after all that.
    expect(await runCli(['restore', good, '--data-dir', join(folder, 'fresh')], {}, capture().io)).toBe(EXIT_OK);
  });

  test('restore refuses existing data without --force and replaces it with --force', async () => {
    const a = await relayWithData(2, 1);
    const b = await relayWithData(1, 0);
    const file = join(tempDir(), 'a.bak');
    await createBackup({ dataDir: a.dir, file, force: false, now: new Date() });
    const before = snapshot(b.dir);
    const c = capture();
    expect(await runCli(['restore', file, '--data-dir', b.dir], {}, c.io)).toBe(EXIT_FAILURE);
    expect(c.err).toHaveLength(1);
    expect(c.err[0]).toMatch(new RegExp(`^aviso-relay: ${b.dir} already holds relay data \\(aviso\\.sqlite.*relay-keys\\.json\\) — pass --force to replace it`));
    expect(snapshot(b.dir)).toEqual(before);

    const f = capture();
    expect(await runCli(['restore', file, '--data-dir', b.dir, '--force'], {}, f.io)).toBe(EXIT_OK);
    expect(f.out.join('\n')).toMatch(/the previous data was replaced/);
    const info = capture();
    await runCli(['info', '--json', '--data-dir', b.dir], {}, info.io);
    const report = JSON.parse(info.out.join('\n')) as { counts: Record<string, number>; trustRoot: { trustRoot: string } };
    expect(report.trustRoot.trustRoot).toBe(a.trustRoot);
    expect(report.counts.accounts).toBe(2);
    expect(readdirSync(b.dir).filter((n) => n.startsWith('.restore-'))).toEqual([]);
  });

  test('restore refuses while the data folder is locked by a relay', async () => {
    const { dir } = await relayWithData(1, 0);
    const file = join(tempDir(), 'x.bak');
    await createBackup({ dataDir: dir, file, force: false, now: new Date() });
    const before = snapshot(dir);
    const lock = acquireDataLock(dir, 'held');
    try {
      const c = capture();
      expect(await runCli(['restore', file, '--data-dir', dir, '--force'], {}, c.io)).toBe(EXIT_FAILURE);
      expect(c.err).toEqual([`aviso-relay: a relay is serving ${dir} — stop it first, then restore`]);
      expect(snapshot(dir)).toEqual(before);
    } finally {
      lock.release();
    }
  });

  test('a swap that fails part-way is rolled back: the folder keeps its old state', async () => {
    const a = await relayWithData(2, 1);
    const b = await relayWithData(1, 0);
    const file = join(tempDir(), 'a.bak');
    await createBackup({ dataDir: a.dir, file, force: false, now: new Date() });
    const before = snapshot(b.dir);
    for (const failAt of [1, 2, 3, 4, 5, 6]) {
      let calls = 0;
      const rename = (from: string, to: string) => {
        if (++calls === failAt) throw Object.assign(new Error('injected: no space left on device'), { code: 'ENOSPC' });
        renameSync(from, to);
      };
      await expect(restoreBackup({ dataDir: b.dir, file, force: true, rename }), `failing rename ${failAt}`).rejects.toThrow(/injected/);
      expect(snapshot(b.dir), `failing rename ${failAt}`).toEqual(before);
      expect(readdirSync(b.dir).filter((n) => n.startsWith('.restore-'))).toEqual([]);
    }
  });

  test('backup refuses to overwrite without --force, a missing folder, and a folder missing its keys', async () => {
    const { dir } = await relayWithData(1, 0);
    const folder = tempDir();
    const file = join(folder, 'b.bak');
    writeFileSync(file, 'precious');
    const cases: [string[], RegExp][] = [
      [['backup', file], new RegExp(`^aviso-relay: ${file} already exists — choose another name or pass --force to replace it$`)],
      [['backup', join(folder, 'no', 'such', 'b.bak')], /^aviso-relay: folder .*no\/such does not exist — create it or choose another backup file$/],
      [['backup', folder], /is a folder — give a file name for the backup$/],
    ];
    for (const [argv, message] of cases) {
      const c = capture();
      expect(await runCli([...argv, '--data-dir', dir], {}, c.io), argv.join(' ')).toBe(EXIT_FAILURE);
      expect(c.err).toHaveLength(1);
      expect(c.err[0]).toMatch(message);
    }
    expect(readFileSync(file, 'utf8')).toBe('precious');
    expect(readdirSync(folder)).toEqual(['b.bak']);
    expect(await runCli(['backup', file, '--force', '--data-dir', dir], {}, capture().io)).toBe(EXIT_OK);
    expect(readFileSync(file).subarray(0, BACKUP_MAGIC.length).toString()).toBe(BACKUP_MAGIC);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // Without its keys a backup could never be restored as the same relay: refuse rather than write one.
    renameSync(join(dir, 'relay-keys.json'), join(folder, 'keys-aside.json'));
    const c = capture();
    expect(await runCli(['backup', join(folder, 'nokeys.bak'), '--data-dir', dir], {}, c.io)).toBe(EXIT_FAILURE);
    expect(c.err).toEqual([`aviso-relay: ${join(dir, 'relay-keys.json')} is missing — restore it from a backup: without it members reject this relay`]);
    expect(existsSync(join(folder, 'nokeys.bak'))).toBe(false);
  });

  test('relative paths are taken from where npm was started (INIT_CWD), not the repository root', async () => {
    const { dir } = await relayWithData(1, 0);
    const folder = tempDir();
    const env = { INIT_CWD: folder, AVISO_DATA_DIR: dir };
    expect(await runCli(['backup', 'relative.bak'], env, capture().io)).toBe(EXIT_OK);
    expect(existsSync(join(folder, 'relative.bak'))).toBe(true);
    const r = capture();
    expect(await runCli(['restore', 'relative.bak', '--data-dir', 'restored'], env, r.io)).toBe(EXIT_OK);
    expect(r.out.join('\n')).toContain(join(folder, 'restored'));
    expect(existsSync(join(folder, 'restored', 'relay-keys.json'))).toBe(true);
  });

  test('a backup taken while another process keeps writing is one consistent snapshot, with progress', async () => {
    const { dir } = await relayWithData(1, 0);
    const dbPath = join(dir, 'aviso.sqlite');
    // Enough data for many backup steps (1024 pages each).
    const setup = new Database(dbPath);
    setup.pragma('journal_mode = WAL');
    setup.exec('CREATE TABLE IF NOT EXISTS ballast (n INTEGER, pad BLOB)');
    const fill = setup.prepare('INSERT INTO ballast VALUES (?, randomblob(4000))');
    setup.transaction(() => {
      for (let i = 0; i < 6000; i++) fill.run(i);
    })();
    setup.close();

    // Another process inserts token rows two at a time, in one transaction each, for as long as we run
    // (it says "ready" once 20 pairs are committed, so the snapshot cannot be empty).
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `const D = require(${JSON.stringify(require.resolve('better-sqlite3'))});
         const db = new D(${JSON.stringify(dbPath)}, { timeout: 10000 }); db.pragma('journal_mode = WAL');
         const ins = db.prepare('INSERT INTO registration_tokens (hash, uses_left, expires_at) VALUES (?, 1, 9e15)');
         let i = 0; const pair = db.transaction(() => { ins.run('a' + i); ins.run('b' + i); i++; });
         for (;;) { pair(); if (i === 20) process.stdout.write('ready\\n'); if (i % 50 === 0) { const t = Date.now(); while (Date.now() - t < 2); } }`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        writer.stdout.once('data', () => resolve());
        writer.once('exit', (code) => reject(new Error(`writer exited ${code}`)));
      });
      const file = join(tempDir(), 'live.bak');
      const seen: number[] = [];
      await createBackup({ dataDir: dir, file, force: false, now: new Date(), progress: (step, done) => step === 'copying the database' && seen.push(done) });
      expect(seen.length).toBeGreaterThan(3);
      expect([...seen].sort((x, y) => x - y)).toEqual(seen); // only forward: the copy never restarted

      const target = join(tempDir(), 'restored');
      await restoreBackup({ dataDir: target, file, force: false });
      const copy = new Database(join(target, 'aviso.sqlite'), { readonly: true });
      try {
        const n = (copy.prepare('SELECT count(*) AS n FROM registration_tokens').get() as { n: number }).n;
        const a = (copy.prepare("SELECT count(*) AS n FROM registration_tokens WHERE hash LIKE 'a%'").get() as { n: number }).n;
        expect(n).toBeGreaterThan(0);
        expect(n).toBe(2 * a); // never half of a transaction
        expect((copy.prepare('SELECT count(*) AS n FROM ballast').get() as { n: number }).n).toBe(6000);
      } finally {
        copy.close();
      }

      // The command line shows that progress for a database this size (over 16 MiB), in steps of 10%.
      const c = capture();
      expect(await runCli(['backup', join(tempDir(), 'cli.bak')], { AVISO_DATA_DIR: dir }, c.io)).toBe(EXIT_OK);
      const lines = c.err.filter((l) => /^(copying the database|writing the backup file): \d+% \(/.test(l));
      expect(lines.length).toBeGreaterThanOrEqual(4);
      expect(lines).toContainEqual(expect.stringMatching(/^writing the backup file: 100% \(/));
    } finally {
      writer.kill('SIGKILL');
    }
  });
});
