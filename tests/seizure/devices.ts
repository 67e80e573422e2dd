import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdentityKeyPair } from '@signalapp/libsignal-client';
import { AvisoClient, RETENTION_LIMITS, SqliteStore, wipeDataDir } from '@aviso/client';
import { base64Needles, plaintextNeedles } from './findings.js';
import { readFolder } from './inventory.js';
import type { Secret } from './scenario.js';

/**
 * The device section of the seizure report: every member's SDK folder from the scenario, seized in
 * three states and searched byte for byte (every file, -wal included) for the tracked plaintexts
 * and the member's keys (identity private key, relay password; raw, hex and base64):
 *
 * - unlocked: the folder as the scenario left it (a plain store): the positive control, where the
 *   same search must find them;
 * - locked: the same folder after `AvisoClient.open({ passphrase })` encrypted it and closed;
 * - wiped: the locked folder after `wipeDataDir`, and whether the passphrase still opens anything;
 * - duress: a copy of the locked folder given a duress passphrase and unlocked with it
 *   (docs/sdk.md "Duress passphrase"), and whether the real passphrase still opens anything;
 * - retention passed: a copy of the plain folder opened with the clock moved past every group's
 *   retention (docs/alerts.md "Retention"), searched for the tracked plaintexts that retention
 *   deletes (alert content, notes, texts); the same copy opened at the real time first is its
 *   positive control.
 */

export interface DeviceRow {
  member: string;
  unlocked: { plaintexts: number; keys: number };
  locked: { plaintexts: number; keys: number; files: string[] };
  wiped: { plaintexts: number; keys: number; files: string[]; passphraseOpens: 'nothing' | 'the old identity' };
  /** The locked folder with a duress passphrase set, after an unlock with it: what is left, and what the real passphrase opens. */
  duress: { plaintexts: number; keys: number; files: string[]; passphraseOpens: 'nothing' | 'the old identity'; opensEmpty: boolean };
  /** Plaintexts retention deletes: before the deadline (control) and after it, in the whole folder and in the -wal. */
  retention: { tracked: number; hours: number; before: number; after: number; afterInWal: number };
}

/**
 * The tracked plaintexts a group's retention deletes: alert content, notes, retraction reasons and
 * texts. Group titles, descriptions and display names are the group's state, kept while it exists.
 */
export function expiresWithRetention(label: string): boolean {
  return /alert|note|retraction|text|direct message|reply/.test(label);
}

/** Runs `fn` with `Date.now` moved `offsetMs` ahead (what retention.test.ts does with fake timers). */
async function atClock<T>(offsetMs: number, fn: () => Promise<T>): Promise<T> {
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + offsetMs;
  try {
    return await fn();
  } finally {
    Date.now = realNow;
  }
}

/** The longest retention of the folder's groups, in ms (the default when a group does not say). */
function longestRetentionMs(dir: string): number {
  const store = SqliteStore.open(dir);
  try {
    return Math.max(RETENTION_LIMITS.defaultSeconds, ...store.listGroups().map((g) => g.state.retentionSeconds ?? RETENTION_LIMITS.defaultSeconds)) * 1000;
  } finally {
    store.close();
  }
}

const PASSPHRASE = 'seizure report passphrase';
const DURESS = 'seizure report duress passphrase';

function needlesOf(values: Buffer[]): Buffer[] {
  return values.flatMap((v) => [v, Buffer.from(v.toString('hex')), ...base64Needles(v).map(([, b64]) => Buffer.from(b64))]);
}

function count(dir: string, needleSets: Buffer[][]): number {
  if (!existsSync(dir)) return 0;
  const files = readFolder(dir).map((f) => f.bytes);
  return needleSets.filter((needles) => files.some((bytes) => needles.some((n) => bytes.includes(n)))).length;
}

export async function deviceRows(members: Array<{ name: string; dir: string }>, secrets: Secret[]): Promise<DeviceRow[]> {
  const plaintexts = secrets.map((s) => plaintextNeedles(s.value).map((n) => n.bytes));
  const expiring = secrets.filter((s) => expiresWithRetention(s.label)).map((s) => plaintextNeedles(s.value).map((n) => n.bytes));
  const rows: DeviceRow[] = [];
  const root = mkdtempSync(join(tmpdir(), 'aviso-seized-device-'));
  try {
    for (const [i, m] of members.entries()) {
      const store = SqliteStore.open(m.dir);
      const identity = store.getLocalIdentity();
      const account = store.getAccount();
      store.close();
      if (!identity) continue;
      const keys = [needlesOf([Buffer.from(IdentityKeyPair.deserialize(Buffer.from(identity.identityKeyPair)).privateKey.serialize())])];
      if (account) keys.push(needlesOf([Buffer.from(account.password, 'utf8')]));
      const unlocked = { plaintexts: count(m.dir, plaintexts), keys: count(m.dir, keys) };

      // Retention: a plain copy opened now (everything sent is within retention: the control),
      // then with the clock a minute past the longest retention (everything sent is past it).
      const kept = join(root, `${i}-retention`);
      cpSync(m.dir, kept, { recursive: true });
      await (await AvisoClient.open({ dataDir: kept })).close();
      const before = count(kept, expiring);
      const retentionMs = longestRetentionMs(kept);
      await atClock(retentionMs + 60_000, async () => (await AvisoClient.open({ dataDir: kept })).close());
      const wal = join(kept, 'aviso-client.sqlite-wal');
      const afterInWal = existsSync(wal) ? expiring.filter((needles) => needles.some((n) => readFileSync(wal).includes(n))).length : 0;
      const retention = { tracked: expiring.length, hours: retentionMs / 3600_000, before, after: count(kept, expiring), afterInWal };

      const dir = join(root, `${i}`);
      cpSync(m.dir, dir, { recursive: true });
      await (await AvisoClient.open({ dataDir: dir, passphrase: PASSPHRASE })).close();
      const locked = { plaintexts: count(dir, plaintexts), keys: count(dir, keys), files: readdirSync(dir).sort() };

      const duressDir = join(root, `${i}-duress`);
      cpSync(dir, duressDir, { recursive: true });
      const real = await AvisoClient.open({ dataDir: duressDir, passphrase: PASSPHRASE });
      await real.setDuressPassphrase(PASSPHRASE, DURESS);
      await real.close();
      const decoy = await AvisoClient.open({ dataDir: duressDir, passphrase: DURESS });
      const opensEmpty = !decoy.isRegistered && !Buffer.from(decoy.identityKey).equals(Buffer.from(IdentityKeyPair.deserialize(Buffer.from(identity.identityKeyPair)).publicKey.serialize()));
      await decoy.close();
      const realAfter = await AvisoClient.open({ dataDir: duressDir, passphrase: PASSPHRASE }).then(
        async (c) => (await c.close(), 'the old identity' as const),
        (err: unknown) => {
          if ((err as { code?: unknown }).code !== 'WRONG_PASSPHRASE') throw err;
          return 'nothing' as const;
        },
      );
      const duress = { plaintexts: count(duressDir, plaintexts), keys: count(duressDir, keys), files: readdirSync(duressDir).sort(), passphraseOpens: realAfter, opensEmpty };

      wipeDataDir(dir);
      const files = existsSync(dir) ? readdirSync(dir).sort() : [];
      const wipedCounts = { plaintexts: count(dir, plaintexts), keys: count(dir, keys) };
      const after = await AvisoClient.open({ dataDir: dir, passphrase: PASSPHRASE });
      const passphraseOpens = after.isRegistered || Buffer.from(after.identityKey).equals(Buffer.from(IdentityKeyPair.deserialize(Buffer.from(identity.identityKeyPair)).publicKey.serialize())) ? 'the old identity' : 'nothing';
      await after.close();
      rows.push({ member: m.name, unlocked, locked, wiped: { ...wipedCounts, files, passphraseOpens }, duress, retention });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}

/** What fails the report: anything found in a locked or wiped folder, or a passphrase that still opens. */
export function deviceFailures(rows: DeviceRow[]): string[] {
  return rows.flatMap((r) => [
    ...(r.locked.plaintexts + r.locked.keys > 0 ? [`${r.member}, locked: ${r.locked.plaintexts} plaintexts, ${r.locked.keys} keys in clear`] : []),
    ...(r.wiped.plaintexts + r.wiped.keys > 0 || r.wiped.passphraseOpens !== 'nothing' ? [`${r.member}, wiped: ${r.wiped.plaintexts} plaintexts, ${r.wiped.keys} keys, the passphrase opens ${r.wiped.passphraseOpens}`] : []),
    ...(r.duress.plaintexts + r.duress.keys > 0 || r.duress.passphraseOpens !== 'nothing' || !r.duress.opensEmpty ? [`${r.member}, duress unlock: ${r.duress.plaintexts} plaintexts, ${r.duress.keys} keys, the real passphrase opens ${r.duress.passphraseOpens}, the duress passphrase opens ${r.duress.opensEmpty ? 'an empty store' : 'the old identity'}`] : []),
    ...(r.retention.after + r.retention.afterInWal > 0 ? [`${r.member}, retention passed: ${r.retention.after} expired plaintexts in the folder, ${r.retention.afterInWal} in the WAL`] : []),
  ]);
}

export function renderDeviceSection(rows: DeviceRow[], tracked: number): string {
  const lines = [
    '## Seized devices',
    '',
    `Every member's SDK folder from the scenario (a phone or laptop), seized in three states and searched byte for byte, every file and the -wal included, for the ${tracked} tracked plaintexts (every encoding above) and for the member's own keys (identity private key and relay password, raw, hex and base64). Generated by tests/seizure/devices.ts.`,
    '',
    '- **unlocked**: the folder as the member\'s client left it, a plain store: the positive control (the same search must find things here).',
    '- **locked**: that folder after `AvisoClient.open({ passphrase })` encrypted it in place and closed (SQLCipher 4, key wrapped by scrypt).',
    '- **wiped**: the locked folder after `wipeDataDir` (`aviso wipe`): what is left, and what the passphrase opens afterwards.',
    '- **duress**: a copy of the locked folder given a duress passphrase (`client.setDuressPassphrase`, `aviso passphrase duress set`) and then unlocked with it (docs/sdk.md "Duress passphrase"): what is left, whether the duress passphrase opened an empty, unregistered store, and what the real passphrase opens afterwards.',
    '- **unlocked after the retention passed**: a copy of the plain folder opened by the SDK twice: at the real time (the positive control: the alert content it received is still there) and then with the clock one minute past its groups\' longest retention (docs/alerts.md "Retention"; the scenario\'s groups keep the default, 24 hours). Searched for the tracked plaintexts that retention deletes (alert titles, bodies and places, notes, retraction reasons, texts; not group titles, descriptions or display names, which are the group\'s state), in the whole folder and in the -wal alone.',
    '',
    '| Member | Unlocked: plaintexts / keys | Locked: plaintexts / keys | Locked files | Wiped: plaintexts / keys | Wiped files | Passphrase opens after wipe |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.member} | ${r.unlocked.plaintexts} / ${r.unlocked.keys} | ${r.locked.plaintexts} / ${r.locked.keys} | ${r.locked.files.map((f) => `\`${f}\``).join(', ')} | ${r.wiped.plaintexts} / ${r.wiped.keys} | ${r.wiped.files.length === 0 ? 'none (folder removed)' : r.wiped.files.join(', ')} | ${r.wiped.passphraseOpens} |`),
    '',
    'After a duress unlock:',
    '',
    '| Member | Plaintexts / keys | Files | The duress passphrase opened | The real passphrase opens afterwards |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.member} | ${r.duress.plaintexts} / ${r.duress.keys} | ${r.duress.files.map((f) => `\`${f}\``).join(', ')} | ${r.duress.opensEmpty ? 'an empty, unregistered store' : 'the old identity'} | ${r.duress.passphraseOpens} |`),
    '',
    `Unlocked after the retention passed (of the ${rows[0]?.retention.tracked ?? 0} tracked plaintexts that retention deletes):`,
    '',
    '| Member | Retention | Before the deadline (control) | After: in the folder | After: in the -wal |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.member} | ${r.retention.hours} h | ${r.retention.before} | ${r.retention.after} | ${r.retention.afterInWal} |`),
    '',
    deviceFailures(rows).length === 0 ? '**No failing device findings.**' : `**Failing:** ${deviceFailures(rows).join('; ')}`,
    '',
  ];
  return lines.join('\n');
}
