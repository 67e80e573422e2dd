import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../support/relay.js';
import { CHECK_NAMES, checkSeizure, PENDING_BOUND_MS, WAL_BOUND_MS, type Finding, type SeizedImage } from './findings.js';
import { deviceFailures, deviceRows } from './devices.js';
import { DB_FILE, inventoryFolder } from './inventory.js';
import { renderStorageTable } from './render.js';
import { LISTENING_LINES, seize, type Seizure } from './seize.js';

let seizure: Seizure;
const planted: string[] = [];

beforeAll(async () => {
  seizure = await seize('small');
}, 600_000);

afterAll(() => {
  seizure?.dispose();
  for (const dir of planted) rmSync(dir, { recursive: true, force: true });
});

const fails = (fs: Finding[]) => fs.filter((f) => f.severity === 'fail');
const image = () => seizure.images[0]!.inventory.dir;

/** Checks a copy of the graceful-stop image after `plant` has tampered with it. */
function checkPlanted(plant: (dir: string, db: () => Database.Database) => void, log = '', seized: Pick<SeizedImage, 'quietSince' | 'seizedAt'> = {}): Finding[] {
  const dir = mkdtempSync(join(tmpdir(), 'aviso-planted-'));
  planted.push(dir);
  cpSync(image(), dir, { recursive: true });
  let db: Database.Database | undefined;
  plant(dir, () => (db ??= new Database(join(dir, DB_FILE))));
  db?.close();
  const o = seizure.outcome;
  return checkSeizure({ images: [{ label: 'planted', inventory: inventoryFolder(dir), ...seized }], log, secrets: o.secrets, accounts: o.accounts, groupIds: o.groupIds, allowedLogLines: LISTENING_LINES });
}

function expectFinding(findings: Finding[], check: string, where: RegExp, detail?: RegExp): void {
  const hit = findings.find((f) => f.severity === 'fail' && f.check === check && where.test(f.where) && (!detail || detail.test(f.detail)));
  expect(hit, `expected a "${check}" finding at ${where}${detail ? ` (${detail})` : ''}, got:\n${JSON.stringify(findings, null, 1)}`).toBeDefined();
}

const secret = (label: string) => {
  const s = seizure.outcome.secrets.find((x) => x.label === label);
  if (!s) throw new Error(`the scenario has no "${label}"`);
  return s.value;
};

const queuedIds = (inv: ReturnType<typeof inventoryFolder>) => new Set((inv.db?.tables.find((t) => t.name === 'messages')?.data ?? []).map((r) => Number(r.id)));

/**
 * Writes into the copy's database through SQLite, then puts the WAL back as it was before the
 * connection closed (closing checkpoints and deletes it): what a relay killed at that moment leaves.
 */
function keepingWal(dir: string, write: (db: Database.Database) => void): void {
  const path = join(dir, DB_FILE);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('secure_delete = ON');
  write(db);
  const wal = readFileSync(`${path}-wal`);
  db.close();
  writeFileSync(`${path}-wal`, wal);
}

/** A pending_fanouts row naming `recipients` (as a SentMessage does: a 16-byte ACI each), then deleted. */
function pendingRowDeleted(db: Database.Database, recipients: Array<{ accountId: string }>, receivedAt: number): void {
  const head = Buffer.concat([Buffer.from([0x23, recipients.length]), ...recipients.map((r) => Buffer.concat([Buffer.from([0]), Buffer.from(r.accountId.replace(/-/g, ''), 'hex'), Buffer.from([1, 0x2a, 0x3b]), randomBytes(48)]))]);
  const sharedId = Number(db.prepare('INSERT INTO shared_payloads (content, expires_at) VALUES (?, ?)').run(randomBytes(64), receivedAt + 7 * 86_400_000).lastInsertRowid);
  db.prepare('INSERT INTO pending_fanouts (shared_id, first_id, received_at, head, guid_seed) VALUES (?, ?, ?, ?, ?)').run(sharedId, 1_000_000, receivedAt, head, randomBytes(16));
  db.prepare('DELETE FROM pending_fanouts WHERE shared_id = ?').run(sharedId);
  db.prepare('DELETE FROM shared_payloads WHERE id = ?').run(sharedId);
}

const minuteAgo = (ms: number) => Math.floor((Date.now() - ms) / 60_000) * 60_000;
const allOf = (...parts: string[]) => new RegExp(parts.map((p) => `(?=.*${p})`).join(''));

describe('what a seized relay yields after a realistic scenario', () => {
  test('no failing finding on either image or in the log', () => {
    expect(seizure.outcome.accounts.length).toBeGreaterThanOrEqual(6);
    expect(seizure.outcome.secrets.length).toBeGreaterThanOrEqual(20);
    expect(fails(seizure.findings)).toEqual([]);
  });

  test('the warnings are exactly the known metadata (update tests/seizure and docs/threat-model.md when one goes away)', () => {
    const warnings = [...new Set(seizure.findings.filter((f) => f.severity === 'warn').map((f) => `${f.check} @ ${f.where.replace(/^[^:]+: /, '')}`))].sort();
    expect(warnings).toEqual(
      [
        `${CHECK_NAMES.recipients} @ messages.shared_id`,
      ].sort(),
    );
  });

  test('the images are what they claim: a checkpointed database after SIGTERM, a WAL after SIGKILL, envelopes queued', () => {
    expect(seizure.exitCode).toBe(0);
    const [stopped, killed] = seizure.images.map((i) => i.inventory);
    expect(stopped!.files.find((f) => f.name === `${DB_FILE}-wal`)?.size ?? 0).toBe(0);
    // Seized once the relay had been quiet for the WAL bound: every frame of its WAL, current and
    // stale, was decoded, and no group send's recipient list and no acknowledged envelope is left.
    expect(killed!.wal).toBeDefined();
    expect(killed!.wal!.pending).toEqual([]);
    expect(killed!.wal!.messages.filter((m) => !queuedIds(killed!).has(m.id))).toEqual([]);
    const queued = stopped!.db!.tables.find((t) => t.name === 'messages')!;
    expect(queued.rows).toBeGreaterThan(0);
    const offline = new Set(seizure.outcome.offline.map((o) => o.accountId));
    for (const row of queued.data) expect(offline.has(String(row.account_id))).toBe(true);
    for (const f of stopped!.files.filter((x) => x.name.startsWith('aviso.sqlite') || x.name === 'relay-keys.json')) expect(f.mode).toBe('600');
    expect(stopped!.db!.freePageNonZeroBytes).toBe(0);
  });

  test('docs/threat-model.md lists every table and column, as the catalog describes them', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'threat-model.md'), 'utf8');
    expect(doc, 'run pnpm seizure-report to refresh the generated table').toContain(renderStorageTable());
    // And the catalog covers the real schema: the relay's own migrated database, table by table.
    for (const table of seizure.images[0]!.inventory.db!.tables) {
      for (const column of table.columns) expect(doc).toContain(`| \`${table.name}\` | \`${column.name}\` |`);
    }
  });
});

describe('the checker finds what a leaky relay would leave (planted in a copy of the image)', () => {
  test('a plaintext group title in a group row', () => {
    const title = secret('group title');
    expectFinding(
      checkPlanted((_dir, db) => db().prepare('UPDATE groups SET attributes = ?').run(Buffer.from(`{"title":"${title}"}`))),
      CHECK_NAMES.plaintext,
      /aviso\.sqlite$/,
      /group title .*UTF-8/,
    );
  });

  test('a display name as UTF-16LE, and an alert body as base64 inside text', () => {
    const name = secret('display name of rosa');
    const body = secret('alert body');
    const findings = checkPlanted((_dir, db) => {
      db().prepare('UPDATE group_members SET profile = ?').run(Buffer.from(name, 'utf16le'));
      db().prepare('UPDATE group_changes SET body = ?').run(JSON.stringify({ blob: Buffer.from(`xx${body}`).toString('base64') }));
    });
    expectFinding(findings, CHECK_NAMES.plaintext, /aviso\.sqlite$/, /UTF-16LE/);
    expectFinding(findings, CHECK_NAMES.plaintext, /aviso\.sqlite$/, /alert body .*base64/);
  });

  test('a deleted row left in a free page (secure_delete off)', () => {
    const text = secret('direct message');
    const findings = checkPlanted((_dir, db) => {
      db().pragma('secure_delete = OFF');
      db().exec('CREATE TABLE scratch (t TEXT)');
      db().prepare('INSERT INTO scratch VALUES (?)').run(`${text} `.repeat(400));
      db().exec('DROP TABLE scratch');
      db().pragma('wal_checkpoint(TRUNCATE)');
    });
    expectFinding(findings, CHECK_NAMES.plaintext, /aviso\.sqlite$/, /direct message/);
    expectFinding(findings, CHECK_NAMES.freePages, /aviso\.sqlite$/);
  });

  test('an IP address in an access log in the data folder and in the relay log', () => {
    const listening = 'aviso relay listening on http://127.0.0.1:8080';
    const findings = checkPlanted(
      (dir) => {
        appendFileSync(join(dir, 'access.log'), '127.0.0.1 - - "GET /v1/websocket" 101\n');
        writeFileSync(join(dir, 'peers.bin'), Buffer.concat([Buffer.from([0xff, 0x01]), Buffer.from('peer 192.168.1.20', 'utf16le')]));
      },
      [listening, '{"level":30,"name":"aviso:ws","remoteAddress":"::ffff:127.0.0.1","msg":"socket opened"}', '{"level":30,"msg":"from 10.1.2.3"}'].join('\n'),
    );
    expectFinding(findings, CHECK_NAMES.ip, /access\.log$/, /127\.0\.0\.1/);
    expectFinding(findings, CHECK_NAMES.undocumented, /access\.log$/);
    expectFinding(findings, CHECK_NAMES.ip, /peers\.bin$/, /192\.168\.1\.20/);
    expectFinding(findings, CHECK_NAMES.ip, /log line 2$/, /::ffff:127\.0\.0\.1/);
    expectFinding(findings, CHECK_NAMES.ip, /log line 3$/, /10\.1\.2\.3/);
    expect(findings.filter((f) => f.where.endsWith('log line 1'))).toEqual([]); // the relay's own bind address
  });

  test('an account id next to a group id, in a group table and in a table of its own', () => {
    const [a, b] = seizure.outcome.accounts;
    const groupId = seizure.outcome.groupIds[0]!;
    const findings = checkPlanted((_dir, db) => {
      db().prepare('INSERT INTO group_banned (group_id, member) VALUES (?, ?)').run(groupId, a!.accountId);
      db().prepare('UPDATE group_members SET member = ? WHERE rowid = (SELECT min(rowid) FROM group_members)').run(Buffer.from(b!.accountId.replace(/-/g, ''), 'hex').toString('base64'));
      db().exec('CREATE TABLE audit (who TEXT, what BLOB)');
      db().prepare('INSERT INTO audit VALUES (?, ?)').run(b!.accountId, Buffer.from(groupId, 'hex'));
    });
    expectFinding(findings, CHECK_NAMES.groupAccount, /group_banned\.member$/, new RegExp(`account id of ${a!.name}`));
    expectFinding(findings, CHECK_NAMES.groupAccount, /group_members\.member$/, new RegExp(`account id base64 \\(offset 0\\) of ${b!.name}`));
    expectFinding(findings, CHECK_NAMES.link, /: audit$/);
    expectFinding(findings, CHECK_NAMES.undocumented, /: audit$/);
  });

  test('a sender on a stored envelope (account id, or identity key bytes)', () => {
    const sender = seizure.outcome.accounts[0]!;
    const findings = checkPlanted((_dir, db) => {
      db().prepare('UPDATE messages SET content = ? WHERE account_id != ?').run(Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(sender.identityKey)]), sender.accountId);
      db().prepare('UPDATE shared_payloads SET content = ?').run(Buffer.from(`from:${sender.accountId}`));
    });
    expectFinding(findings, CHECK_NAMES.sender, /messages\.content$/, /identity key bytes/);
    expectFinding(findings, CHECK_NAMES.sender, /shared_payloads\.content$/, /account id of/);
  });

  test('a precise last-seen on a device, a new time column, and an arrival stored to the millisecond', () => {
    const findings = checkPlanted((_dir, db) => {
      db().prepare('UPDATE devices SET last_seen_day = ?').run(Date.now());
      db().exec('ALTER TABLE accounts ADD COLUMN phone TEXT');
      db().exec('ALTER TABLE devices ADD COLUMN connected_at INTEGER');
      db().prepare('UPDATE devices SET connected_at = ?').run(Math.floor(Date.now() / 1000));
      db().prepare('UPDATE messages SET received_at = ?').run(Date.now() - 1234);
    });
    expectFinding(findings, CHECK_NAMES.lastSeen, /devices\.last_seen_day$/);
    expectFinding(findings, CHECK_NAMES.lastSeen, /devices\.connected_at$/);
    expectFinding(findings, CHECK_NAMES.undocumented, /accounts\.phone$/);
    expectFinding(findings, CHECK_NAMES.precision, /messages\.received_at$/);
  });

  test('a group send\'s recipient list in a stale WAL frame (an earlier generation of the log), past the bound', () => {
    const [, b, c] = seizure.outcome.accounts;
    const findings = checkPlanted((dir) =>
      keepingWal(dir, (db) => {
        // A few commits first, so the planted row's frames lie beyond what the restarted log overwrites.
        // (SQLite writes no frame for an UPDATE that changes nothing.)
        for (let i = 0; i < 3; i++) db.exec('UPDATE devices SET dropped_count = dropped_count + 1');
        pendingRowDeleted(db, [b!, c!], minuteAgo(PENDING_BOUND_MS + 60_000));
        // Every frame copied into the database; the next commit restarts the log at frame 0 with new
        // salts, and the frames beyond it (the planted row's) stay in the file, stale.
        db.pragma('wal_checkpoint(PASSIVE)');
        db.exec('UPDATE devices SET dropped_count = 0');
      }),
    );
    const wal = findings.filter((f) => f.check === CHECK_NAMES.walRecipients);
    expectFinding(findings, CHECK_NAMES.walRecipients, /aviso\.sqlite-wal$/, allOf('stale frame', 'past the', `\\b${b!.name}\\b`, `\\b${c!.name}\\b`));
    expect(wal.filter((f) => /current frame/.test(f.detail))).toEqual([]);
  });

  test('a recipient list in a current WAL frame is a warning within the bound and a failure past it', () => {
    const [, b, c] = seizure.outcome.accounts;
    const plant = (age: number) => (dir: string) => keepingWal(dir, (db) => pendingRowDeleted(db, [b!, c!], minuteAgo(age)));
    const recent = checkPlanted(plant(0)).filter((f) => f.check === CHECK_NAMES.walRecipients);
    expect(recent.map((f) => f.severity)).toEqual(['warn']);
    expect(recent[0]!.detail).toMatch(allOf('current frame', 'within the bound', b!.name, c!.name));
    expectFinding(checkPlanted(plant(PENDING_BOUND_MS + 60_000)), CHECK_NAMES.walRecipients, /aviso\.sqlite-wal$/, allOf('current frame', 'past the'));
  });

  test('acknowledged envelopes left in the WAL after the relay went quiet for longer than the bound', () => {
    const offline = seizure.outcome.offline[0]!;
    const plant = (dir: string) => keepingWal(dir, (db) => db.prepare('DELETE FROM messages WHERE account_id = ?').run(offline.accountId));
    // Inserted by an earlier commit, deleted by the last one: the row's old page image is still a frame.
    const plantTwice = (dir: string) =>
      keepingWal(dir, (db) => {
        db.prepare('UPDATE messages SET expires_at = expires_at + 1 WHERE account_id = ?').run(offline.accountId);
        db.prepare('DELETE FROM messages WHERE account_id = ?').run(offline.accountId);
      });
    const now = Date.now();
    expectFinding(checkPlanted(plantTwice, '', { seizedAt: now, quietSince: now - WAL_BOUND_MS - 1000 }), CHECK_NAMES.walEnvelopes, /aviso\.sqlite-wal$/, new RegExp(`queues of: .*\\b${offline.name}\\b`));
    // Quiet for less than the bound: the same residue is a warning, not a failure.
    expect(fails(checkPlanted(plant, '', { seizedAt: now, quietSince: now - 1000 })).filter((f) => f.check === CHECK_NAMES.walEnvelopes)).toEqual([]);
  });

  test('an untouched copy has no failing finding (the plants above are what the checker found)', () => {
    expect(fails(checkPlanted(() => undefined))).toEqual([]);
  });

  test('a seized phone (the admin\'s SDK store, real data) trips the same checks: titles, names and alert text are there', () => {
    const o = seizure.outcome;
    const findings = checkSeizure({ images: [{ label: 'phone', inventory: inventoryFolder(seizure.phoneDir) }], log: '', secrets: o.secrets, accounts: o.accounts, groupIds: o.groupIds });
    expectFinding(findings, CHECK_NAMES.plaintext, /aviso-client\.sqlite/, /group title/);
    expectFinding(findings, CHECK_NAMES.plaintext, /aviso-client\.sqlite/, /display name of tomas/);
    expectFinding(findings, CHECK_NAMES.plaintext, /aviso-client\.sqlite/, /alert body/);
    expectFinding(findings, CHECK_NAMES.undocumented, /aviso-client\.sqlite$/);
  });

  test('seized devices: every member folder yields plaintexts and keys unlocked (the control), none locked or wiped, none of the expired ones once the retention passed (the same copy before the deadline finds them), the passphrase opens nothing after a wipe, and after a duress unlock the real passphrase opens nothing', async () => {
    const rows = await deviceRows(seizure.memberDirs, seizure.outcome.secrets);
    expect(rows.length).toBe(seizure.memberDirs.length);
    for (const r of rows) {
      expect(r.unlocked.keys, r.member).toBeGreaterThan(0);
      expect(r.locked).toMatchObject({ plaintexts: 0, keys: 0 });
      expect(r.wiped).toMatchObject({ plaintexts: 0, keys: 0, files: [], passphraseOpens: 'nothing' });
      expect(r.duress).toMatchObject({ plaintexts: 0, keys: 0, passphraseOpens: 'nothing', opensEmpty: true });
      expect(r.duress.files).toEqual(r.locked.files); // the same files as any unlock leaves
      expect(r.retention, r.member).toMatchObject({ after: 0, afterInWal: 0 });
    }
    expect(rows.some((r) => r.unlocked.plaintexts > 0)).toBe(true);
    expect(rows.some((r) => r.retention.before > 0)).toBe(true);
    expect(deviceFailures(rows)).toEqual([]);
  }, 300_000);

  test('a file written next to the database is scanned whatever its name', () => {
    const place = secret('alert place');
    const findings = checkPlanted((dir) => writeFileSync(join(dir, 'aviso.sqlite-journal'), Buffer.from(place, 'utf16le').swap16()));
    expectFinding(findings, CHECK_NAMES.plaintext, /aviso\.sqlite-journal$/, /UTF-16BE/);
    expectFinding(findings, CHECK_NAMES.undocumented, /aviso\.sqlite-journal$/);
  });
});
