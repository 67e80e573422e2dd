import Database from 'better-sqlite3';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../support/relay.js';
import { CHECK_NAMES, checkSeizure, type Finding } from './findings.js';
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
function checkPlanted(plant: (dir: string, db: () => Database.Database) => void, log = ''): Finding[] {
  const dir = mkdtempSync(join(tmpdir(), 'aviso-planted-'));
  planted.push(dir);
  cpSync(image(), dir, { recursive: true });
  let db: Database.Database | undefined;
  plant(dir, () => (db ??= new Database(join(dir, DB_FILE))));
  db?.close();
  const o = seizure.outcome;
  return checkSeizure({ images: [{ label: 'planted', inventory: inventoryFolder(dir) }], log, secrets: o.secrets, accounts: o.accounts, groupIds: o.groupIds, allowedLogLines: LISTENING_LINES });
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
    expect(killed!.wal?.frames).toBeGreaterThan(0);
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

  test('a file written next to the database is scanned whatever its name', () => {
    const place = secret('alert place');
    const findings = checkPlanted((dir) => writeFileSync(join(dir, 'aviso.sqlite-journal'), Buffer.from(place, 'utf16le').swap16()));
    expectFinding(findings, CHECK_NAMES.plaintext, /aviso\.sqlite-journal$/, /UTF-16BE/);
    expectFinding(findings, CHECK_NAMES.undocumented, /aviso\.sqlite-journal$/);
  });
});
