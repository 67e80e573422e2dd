import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/relay.js';
import { CHECK_NAMES, checkSeizure } from './findings.js';
import { deviceFailures, deviceRows, renderDeviceSection } from './devices.js';
import { inventoryFolder } from './inventory.js';
import { renderReport, withStorageTable } from './render.js';
import { seize } from './seize.js';

/*
 * `pnpm seizure-report`: runs the full scenario against a real relay, inventories what a seizure
 * would yield, writes docs/seizure-report.md, refreshes the storage table of docs/threat-model.md,
 * prints a summary, and exits non-zero if any failing finding was made.
 */

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages/server'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} (with uncommitted changes in packages/server)` : head;
  } catch {
    return 'unknown';
  }
}

/** Which tracked plaintexts the checks find on the admin's phone (distinct labels). */
function phoneHits(): string[] {
  const o = seizure.outcome;
  const found = checkSeizure({ images: [{ label: 'phone', inventory: inventoryFolder(seizure.phoneDir) }], log: '', secrets: o.secrets, accounts: o.accounts, groupIds: o.groupIds });
  const hits = new Set(found.filter((f) => f.check === CHECK_NAMES.plaintext).map((f) => o.secrets.find((s) => f.detail.startsWith(`${s.label} "${s.value}"`))?.label ?? '?'));
  return [...hits].sort();
}

const started = Date.now();
const seizure = await seize('full').catch((err: unknown) => {
  console.error('seizure-report: the scenario failed', err);
  const log = (err as { relayLog?: string }).relayLog;
  if (log) console.error(`--- relay log ---\n${log}`);
  process.exit(2);
});
try {
  const report = renderReport({
    date: new Date().toISOString().slice(0, 10),
    commit: commit(),
    summary: seizure.outcome.summary,
    counts: seizure.outcome.counts,
    accounts: seizure.outcome.accounts.length,
    secrets: seizure.outcome.secrets.length,
    offline: seizure.outcome.offline.map((o) => o.name),
    images: seizure.images,
    exitCode: seizure.exitCode,
    log: seizure.logInventory,
    logLevel: seizure.logLevel,
    findings: seizure.findings,
    phoneHits: phoneHits(),
  });
  const devices = await deviceRows(seizure.memberDirs, seizure.outcome.secrets);
  writeFileSync(join(REPO_ROOT, 'docs', 'seizure-report.md'), `${report.trimEnd()}\n\n${renderDeviceSection(devices, seizure.outcome.secrets.length)}`);
  const threatModel = join(REPO_ROOT, 'docs', 'threat-model.md');
  writeFileSync(threatModel, withStorageTable(readFileSync(threatModel, 'utf8')));

  const fails = [...seizure.findings.filter((f) => f.severity === 'fail'), ...deviceFailures(devices).map((detail) => ({ check: 'seized device', where: 'member folder', detail }))];
  for (const d of devices) console.log(`  device ${d.member}: unlocked ${d.unlocked.plaintexts} plaintexts / ${d.unlocked.keys} keys; locked ${d.locked.plaintexts} / ${d.locked.keys}; wiped ${d.wiped.plaintexts} / ${d.wiped.keys}, passphrase opens ${d.wiped.passphraseOpens}; duress ${d.duress.plaintexts} / ${d.duress.keys}, real passphrase opens ${d.duress.passphraseOpens}; retention passed: ${d.retention.before} -> ${d.retention.after} expired plaintexts (${d.retention.afterInWal} in the WAL)`);
  const warns = seizure.findings.filter((f) => f.severity === 'warn');
  const primary = seizure.images[0]!.inventory;
  const rows = primary.db?.tables.reduce((n, t) => n + t.rows, 0) ?? 0;
  console.log(`seizure report (${((Date.now() - started) / 1000).toFixed(0)} s): ${seizure.outcome.accounts.length} accounts, ${seizure.outcome.groupIds.length} groups, ${seizure.outcome.secrets.length} plaintexts tracked`);
  for (const image of seizure.images) {
    console.log(`  ${image.label}: ${image.inventory.files.map((f) => `${f.name} ${f.size} B`).join(', ')}`);
  }
  console.log(`  ${primary.db?.tables.length ?? 0} tables, ${rows} rows; ${seizure.logInventory.lines} log lines`);
  for (const w of warns) console.log(`  warn: ${w.check} — ${w.where}: ${w.detail}`);
  for (const f of fails) console.log(`  FAIL: ${f.check} — ${f.where}: ${f.detail}`);
  console.log(fails.length === 0 ? `  no failing findings (${warns.length} warnings); wrote docs/seizure-report.md` : `  ${fails.length} failing findings; wrote docs/seizure-report.md`);
  process.exitCode = fails.length === 0 ? 0 : 1;
} finally {
  seizure.dispose();
}
