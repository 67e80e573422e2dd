import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import type { AvisoClient, Group } from '@aviso/client';
import { ClientPool } from '../support/clients.js';
import { REPO_ROOT, RelayProcess } from '../support/relay.js';
import { entry } from '../support/entry.js';

/**
 * The operator command line as operators run it: real `aviso-relay` processes next to a real relay
 * process, with SDK members sending alerts meanwhile.
 */

const CLI = entry('aviso-relay');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs aviso-relay in English unless `env` says otherwise: the machine's locale must not change what these tests read. */
function relayCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, AVISO_LOG_LEVEL: 'warn', AVISO_LANG: 'en', ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `aviso-cli-e2e-${name}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function startRelay(options: { dataDir?: string; env?: Record<string, string> } = {}): Promise<RelayProcess> {
  const relay = await RelayProcess.start(options);
  cleanups.push(() => relay.dispose());
  return relay;
}

function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name.startsWith('relay.lock')) continue; // the lock holds no data
    const path = join(entry.parentPath, entry.name);
    files[path.slice(dir.length)] = createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return files;
}

/** Inode of the database, inode and content of the keys, and the folder's file names (no staging left). */
function fileIdentities(dir: string): unknown {
  const keys = join(dir, 'relay-keys.json');
  return {
    database: statSync(join(dir, 'aviso.sqlite')).ino,
    keys: [statSync(keys).ino, readFileSync(keys, 'utf8')],
    names: readdirSync(dir).filter((n) => !n.startsWith('aviso.sqlite-')).sort(),
  };
}

function count(dataDir: string, sql: string, ...params: unknown[]): number {
  const db = new Database(join(dataDir, 'aviso.sqlite'), { readonly: true });
  try {
    return (db.prepare(sql).get(...params) as { n: number }).n;
  } finally {
    db.close();
  }
}

async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alertTitles(client: AvisoClient): string[] {
  const seen: string[] = [];
  client.on('alert', (a) => seen.push(a.title));
  return seen;
}

/** An admin and `n` members who joined by invite, all connected. */
async function groupOf(relay: RelayProcess, pool: ClientPool, n: number) {
  const admin = await pool.registered(relay, 'admin');
  const group = await admin.createGroup({ title: 'Eastside rapid response', displayName: 'Rosa' });
  const code = await group.createInvite({ expiresInSeconds: 3600, maxUses: n, requireApproval: false });
  const members: { client: AvisoClient; group: Group; dir: string }[] = [];
  for (let i = 0; i < n; i++) {
    const dir = pool.newDataDir(`m${i}`);
    const client = await pool.open(dir);
    members.push({ client, group: await client.join(code, { displayName: `member ${i}` }), dir });
  }
  await group.sync();
  await admin.connect();
  for (const m of members) {
    await m.group.sync();
    await m.client.connect();
  }
  return { admin, group, members };
}

const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The bytes of the database and its WAL (absent: null). The -shm file is left out: every reader writes its read marks there. */
function databaseBytes(dir: string): { database: string; wal: string | null } {
  const wal = join(dir, 'aviso.sqlite-wal');
  return { database: sha256Hex(readFileSync(join(dir, 'aviso.sqlite'))), wal: existsSync(wal) ? sha256Hex(readFileSync(wal)) : null };
}

/**
 * Makes the relay database at `path` look written by a newer aviso-relay: one more migration than
 * this build knows (drizzle records each by its creation time), with a table this build has never seen.
 */
function fromNewerRelay(path: string): void {
  const db = new Database(path);
  try {
    const { at } = db.prepare('SELECT max(created_at) AS at FROM __drizzle_migrations').get() as { at: number };
    db.exec('CREATE TABLE alert_receipts (id INTEGER PRIMARY KEY, seen_at INTEGER NOT NULL)');
    db.prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)').run('f'.repeat(64), at + 86_400_000);
  } finally {
    db.close();
  }
}

/**
 * A copy of backup `bytes` whose database went through `change`, written as docs/operating.md
 * describes the file (line 1 the magic, line 2 the JSON header, then the database), with the
 * header's length and checksum following the change.
 */
function rewrittenBackup(bytes: Buffer, folder: string, change: (dbPath: string) => void): Buffer {
  const headerEnd = bytes.indexOf(0x0a, bytes.indexOf(0x0a) + 1) + 1;
  const [magic, json] = bytes.subarray(0, headerEnd).toString('utf8').split('\n');
  const header = JSON.parse(json!) as { database: { bytes: number; sha256: string } };
  const path = join(folder, `work-${Math.random().toString(36).slice(2)}.sqlite`);
  writeFileSync(path, bytes.subarray(headerEnd));
  change(path);
  const db = readFileSync(path);
  rmSync(path);
  header.database = { bytes: db.length, sha256: sha256Hex(db) };
  return Buffer.concat([Buffer.from(`${magic}\n${JSON.stringify(header)}\n`), db]);
}

describe('aviso-relay operator commands against a running relay', () => {
  test('info, a backup taken while alerts flow, and a restore that delivers the queue to an offline member', { timeout: 300_000 }, async () => {
    // The alerts below come faster than the default send budget (60, then 1/s); this test is not about that.
    const relay = await startRelay({ env: { AVISO_SEND_RATE_CAPACITY: '100000' } });
    const pool = new ClientPool();
    cleanups.push(() => pool.dispose());
    const { admin, group, members } = await groupOf(relay, pool, 3);
    const away = members[0]!;
    const present = members.slice(1);
    const accountIds = [admin.accountId, ...members.map((m) => m.client.accountId)];
    await away.client.close();

    // Some alerts while the member is away; the others receive and acknowledge them.
    const presentTitles = present.map((m) => alertTitles(m.client));
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) {
      const title = `sighting ${i}`;
      await group.sendAlert({ kind: 'sighting', severity: 'urgent', title, requestAck: false });
      sent.push(title);
    }
    await until(() => presentTitles.every((t) => t.length >= 3), 'the alerts at the connected members');
    const othersQueued = () => count(relay.dataDir, 'SELECT count(*) AS n FROM messages WHERE account_id != ?', away.client.accountId);
    await until(() => othersQueued() === 0, 'the connected members to acknowledge');

    // info: counts only, right, and not one id.
    const queued = count(relay.dataDir, 'SELECT count(*) AS n FROM messages');
    expect(queued).toBeGreaterThanOrEqual(3);
    const info = await relayCli(['info', '--json'], { AVISO_DATA_DIR: relay.dataDir, AVISO_PORT: new URL(relay.url).port });
    expect(info.code, info.stderr).toBe(0);
    const report = JSON.parse(info.stdout) as {
      listenUrl: string;
      serving: boolean;
      protocolVersion: number;
      trustRoot: { trustRoot: string; sha256Hex: string; sha256Base64url: string };
      counts: Record<string, number>;
      diskBytes: number;
    };
    expect(report.listenUrl).toBe(relay.url);
    expect(report.serving).toBe(true);
    expect(report.counts).toEqual({ accounts: 4, devices: 4, groups: 1, queuedEnvelopes: queued, liveRegistrationTokens: expect.any(Number) });
    expect(report.diskBytes).toBeGreaterThan(0);
    const published = (await (await fetch(`${relay.url}/v1/relay`)).json()) as { trustRoot: string; protocolVersion: number };
    expect(report.protocolVersion).toBe(published.protocolVersion);
    expect(report.trustRoot.trustRoot).toBe(published.trustRoot);
    const digest = createHash('sha256').update(Buffer.from(published.trustRoot, 'base64')).digest();
    expect(report.trustRoot.sha256Hex).toBe(digest.toString('hex'));
    expect(report.trustRoot.sha256Base64url).toBe(digest.toString('base64url')); // what invite codes carry
    const text = await relayCli(['info'], { AVISO_DATA_DIR: relay.dataDir });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/accounts\s+4\n/);
    expect(text.stdout).toContain(digest.toString('hex'));
    for (const output of [info.stdout, info.stderr, text.stdout, text.stderr]) for (const id of accountIds) expect(output).not.toContain(id);

    // A backup while the admin keeps sending.
    let sending = true;
    const before = sent.length;
    const flow = (async () => {
      for (let i = 0; sending; i++) {
        const title = `update ${i}`;
        await group.sendAlert({ kind: 'patrol', severity: 'info', title, requestAck: false });
        sent.push(title);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const flowFailed: unknown[] = [];
    flow.catch((err: unknown) => flowFailed.push(err));
    await until(() => flowFailed.length > 0 || sent.length >= before + 2, 'alerts to flow');
    const atBackupStart = sent.length;
    const file = join(tempDir('backup'), 'relay.aviso-backup');
    const backup = await relayCli(['backup', file], { AVISO_DATA_DIR: relay.dataDir });
    const sentDuringBackup = sent.length - atBackupStart;
    await until(() => flowFailed.length > 0 || sent.length >= atBackupStart + sentDuringBackup + 2, 'alerts after the backup');
    sending = false;
    await flow.catch(() => undefined);
    expect(flowFailed).toEqual([]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout.trim()).toBe(file);
    expect(backup.stderr).toMatch(/PRIVATE KEYS/);
    for (const id of accountIds) expect(backup.stdout + backup.stderr).not.toContain(id);

    // The relay moves: stop it, restore into a fresh folder, start there on the same address.
    const port = new URL(relay.url).port;
    await relay.stop();
    const fresh = join(tempDir('restored'), 'data');
    const restore = await relayCli(['restore', file, '--data-dir', fresh]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toContain(digest.toString('hex'));
    const restored = await startRelay({ dataDir: fresh, env: { AVISO_PORT: port } });
    expect(restored.url).toBe(relay.url);
    expect(((await (await fetch(`${restored.url}/v1/relay`)).json()) as { trustRoot: string }).trustRoot).toBe(published.trustRoot);

    // restore refuses while that relay serves the folder and replaces nothing. (The live relay keeps
    // writing its database, so compare the files' identities: a restore would rename new ones in.)
    const beforeRefusal = fileIdentities(fresh);
    const refused = await relayCli(['restore', file, '--data-dir', fresh, '--force']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`aviso-relay: a relay is serving ${fresh} — stop it first, then restore\n`);
    expect(fileIdentities(fresh)).toEqual(beforeRefusal);

    // The member who was away comes back to the restored relay and decrypts its queue: a prefix of
    // what was sent (one snapshot), with everything sent before the backup began.
    const back = await pool.open(away.dir);
    const received = alertTitles(back);
    const rejected: unknown[] = [];
    back.on('rejected', (r) => rejected.push(r));
    await back.connect();
    await until(() => received.length >= atBackupStart, 'the queued alerts from the restored relay');
    await new Promise((r) => setTimeout(r, 500)); // room for anything else queued to arrive
    expect(received.length).toBeGreaterThanOrEqual(atBackupStart);
    expect(received.length).toBeLessThanOrEqual(atBackupStart + sentDuringBackup);
    expect(received).toEqual(sent.slice(0, received.length));
    expect(rejected).toEqual([]);
  });

  test('restore refuses a truncated or corrupt backup in one line, leaves the folder alone, and is not blocked by a killed relay', { timeout: 180_000 }, async () => {
    const relay = await startRelay();
    await relay.createToken();
    const folder = tempDir('bad');
    const file = join(folder, 'good.bak');
    expect((await relayCli(['backup', file], { AVISO_DATA_DIR: relay.dataDir })).code).toBe(0);
    const bytes = readFileSync(file);
    writeFileSync(join(folder, 'truncated.bak'), bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    const corrupt = Buffer.from(bytes);
    corrupt[corrupt.length - 2000]! ^= 0xff;
    writeFileSync(join(folder, 'corrupt.bak'), corrupt);

    // A relay killed outright holds no lock any more: the kernel dropped it with the process.
    await relay.stop('SIGKILL');
    const before = snapshot(relay.dataDir);
    for (const [name, message] of [
      ['truncated.bak', /is truncated \(\d+ bytes, expected \d+\) — nothing was changed$/],
      ['corrupt.bak', /is damaged \(checksum mismatch\) — nothing was changed$/],
    ] as const) {
      const run = await relayCli(['restore', join(folder, name), '--force'], { AVISO_DATA_DIR: relay.dataDir });
      expect(run.code, name).toBe(1);
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines, name).toHaveLength(1);
      expect(lines[0], name).toMatch(new RegExp(`^aviso-relay: backup file ${join(folder, name)} ${message.source}`));
      expect(run.stdout).toBe('');
      expect(snapshot(relay.dataDir), name).toEqual(before);
    }
    const ok = await relayCli(['restore', file, '--force'], { AVISO_DATA_DIR: relay.dataDir });
    expect(ok.code, ok.stderr).toBe(0);
    await relay.start(); // and serve starts on it again
    expect(relay.running).toBe(true);
  });

  test('every error path is one line on stderr with a non-zero status', { timeout: 180_000 }, async () => {
    const relay = await startRelay();
    const folder = tempDir('errors');
    const existing = join(folder, 'exists.bak');
    writeFileSync(existing, 'x');
    const data = { AVISO_DATA_DIR: relay.dataDir };
    const cases: [string[], Record<string, string>, number, RegExp][] = [
      [['frobnicate'], data, 2, /^aviso-relay: unknown command "frobnicate" \(see "aviso-relay --help"\)$/],
      [['backup'], data, 2, /^aviso-relay: backup takes exactly one file name/],
      [['token', 'create', '--uses', 'many'], data, 2, /^aviso-relay: --uses must be a positive whole number/],
      [['info'], { AVISO_DATA_DIR: relay.dataDir, AVISO_PORT: 'eighty' }, 2, /^aviso-relay: invalid setting: AVISO_PORT="eighty"/],
      [['info', '--data-dir', join(folder, 'none')], {}, 1, /^aviso-relay: no relay data in .*none — set AVISO_DATA_DIR or --data-dir/],
      [['backup', existing], data, 1, /^aviso-relay: .*exists\.bak already exists — choose another name or pass --force/],
      [['backup', join(folder, 'no', 'dir.bak')], data, 1, /^aviso-relay: folder .* does not exist/],
      [['restore', join(folder, 'missing.bak')], data, 1, /^aviso-relay: backup file .*missing\.bak not found$/],
      [['restore', existing, '--force'], data, 1, /^aviso-relay: .*exists\.bak is not an aviso-relay backup$/],
      [['token', 'revoke', 'ffff0000'], data, 1, /^aviso-relay: no token hash starts with "ffff0000"/],
      [['serve'], data, 1, /^aviso-relay: a relay is already serving .* — stop it first$/],
    ];
    for (const [argv, env, code, message] of cases) {
      const run = await relayCli(argv, env);
      expect(run.code, argv.join(' ')).toBe(code);
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines, `${argv.join(' ')}: ${run.stderr}`).toHaveLength(1);
      expect(lines[0], argv.join(' ')).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });
  test('info and backup read a live relay without writing it; a database from a newer aviso-relay is refused and left alone', { timeout: 240_000 }, async () => {
    // The relay checkpoints once an hour here, so what it wrote stays in its WAL for the whole test:
    // an open that migrated, checkpointed or wrote anything would change these bytes.
    const relay = await startRelay({ env: { AVISO_WAL_CHECKPOINT_SECONDS: '3600' } });
    const pool = new ClientPool();
    cleanups.push(() => pool.dispose());
    await pool.registered(relay, 'rosa');
    await pool.registered(relay, 'ana');
    const dir = relay.dataDir;
    expect(statSync(join(dir, 'aviso.sqlite-wal')).size, 'the relay has uncheckpointed writes').toBeGreaterThan(0);
    const live = databaseBytes(dir);

    const info = await relayCli(['info', '--json'], { AVISO_DATA_DIR: dir });
    expect(info.code, info.stderr).toBe(0);
    expect((JSON.parse(info.stdout) as { counts: { accounts: number }; serving: boolean }).counts.accounts).toBe(2);
    expect((await relayCli(['info'], { AVISO_DATA_DIR: dir })).code).toBe(0);
    const folder = tempDir('newer');
    const good = join(folder, 'good.bak');
    const backup = await relayCli(['backup', good], { AVISO_DATA_DIR: dir });
    expect(backup.code, backup.stderr).toBe(0);
    expect(databaseBytes(dir)).toEqual(live);

    // The same folder after a newer aviso-relay migrated it: info and backup refuse, in one line,
    // and neither the database nor its keys change (a read-only open leaves at most an empty WAL).
    await relay.stop();
    const db = join(dir, 'aviso.sqlite');
    fromNewerRelay(db);
    const keys = readFileSync(join(dir, 'relay-keys.json'));
    const before = sha256Hex(readFileSync(db));
    const refusal = `aviso-relay: ${db} comes from a newer aviso-relay (newer database schema) — upgrade Aviso to use it`;
    for (const argv of [['info'], ['info', '--json'], ['backup', join(folder, 'newer.bak')]]) {
      const run = await relayCli(argv, { AVISO_DATA_DIR: dir });
      expect(run.code, argv.join(' ')).toBe(1);
      expect(run.stderr, argv.join(' ')).toBe(`${refusal}\n`);
      expect(run.stdout, argv.join(' ')).toBe('');
      expect(sha256Hex(readFileSync(db)), argv.join(' ')).toBe(before);
      const wal = join(dir, 'aviso.sqlite-wal');
      expect(existsSync(wal) ? statSync(wal).size : 0, argv.join(' ')).toBe(0);
    }
    expect(readFileSync(join(dir, 'relay-keys.json'))).toEqual(keys);
    expect(readdirSync(folder)).toEqual(['good.bak']); // no backup, no temporary file

    // restore checks a backup's database the same way: one from a newer relay, one whose checksum is
    // right but whose pages are broken, and one holding some other database are each refused, over a
    // stopped relay's folder (with --force, so only the check can stop them), and nothing changes.
    const bytes = readFileSync(good);
    const pageBroken = rewrittenBackup(bytes, folder, (path) => {
      const content = readFileSync(path);
      const pageSize = content.readUInt16BE(16);
      content.fill(0xff, pageSize * 2, pageSize * 2 + 64); // the header of page 3, a b-tree page
      writeFileSync(path, content);
    });
    const notRelay = rewrittenBackup(bytes, folder, (path) => {
      const other = new Database(path);
      other.exec('DROP TABLE messages');
      other.close();
    });
    const cases: [string, Buffer, string][] = [
      ['newer.bak', rewrittenBackup(bytes, folder, fromNewerRelay), 'comes from a newer aviso-relay \\(newer database schema\\) — upgrade Aviso, then restore$'],
      ['broken.bak', pageBroken, 'is damaged \\(.+\\) — nothing was changed$'],
      ['other.bak', notRelay, 'is not an Aviso relay database$'],
    ];
    const target = tempDir('target');
    expect((await relayCli(['restore', good, '--data-dir', target, '--force'])).code).toBe(0);
    const restored = snapshot(target);
    for (const [name, content, message] of cases) {
      const path = join(folder, name);
      writeFileSync(path, content);
      const run = await relayCli(['restore', path, '--data-dir', target, '--force']);
      expect(run.code, name).toBe(1);
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines, name).toHaveLength(1);
      expect(lines[0], name).toMatch(new RegExp(`^aviso-relay: (backup file )?${path} ${message}`));
      expect(snapshot(target), name).toEqual(restored);
      expect(readdirSync(target).filter((n) => n.startsWith('.restore-')), name).toEqual([]);
    }
  });

  test('in Spanish: serve keeps its ready line for programs and says the rest, info and a backup error, in Spanish', { timeout: 120_000 }, async () => {
    const relay = await startRelay({ env: { AVISO_LANG: 'es' } });
    expect(relay.log).toMatch(/^aviso relay listening on http:\/\/127\.0\.0\.1:\d+$/m);
    await until(() => relay.log.includes('\nCrea un código de registro con: npm run relay -- token create'), 'the Spanish hint after the ready line');
    expect(relay.log).not.toContain('Create a registration token');
    const es = { AVISO_DATA_DIR: relay.dataDir, AVISO_LANG: 'es' };

    const info = await relayCli(['info'], es);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/^carpeta de datos +\S+ {2}\(un servidor la está usando\)$/m);
    expect(info.stdout).toMatch(/^SHA-256 de la raíz +[0-9a-f]{64} {2}\(publica esto; los miembros lo fijan\)$/m);

    const existing = join(tempDir('es'), 'ya.bak');
    writeFileSync(existing, 'x');
    const backup = await relayCli(['backup', existing], es);
    expect(backup.code).toBe(1);
    expect(backup.stderr).toBe(`aviso-relay: ${existing} ya existe — elige otro nombre o pasa --force para reemplazarlo\n`);
    const second = await relayCli(['serve'], es);
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(`aviso-relay: ya hay un servidor usando ${relay.dataDir} (o una restauración en curso) — detenlo primero\n`);
  });
});
