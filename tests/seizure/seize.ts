import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientPool } from '../support/clients.js';
import { RelayProcess } from '../support/relay.js';
import { checkSeizure, WAL_BOUND_MS, type Finding, type SeizedImage } from './findings.js';
import { DB_FILE, inventoryFolder, inventoryLog, type FolderInventory, type LogKind } from './inventory.js';
import { runScenario, type ScenarioOutcome, type ScenarioSize } from './scenario.js';

/** The relay's ready lines name its own bind address: configuration, not a client's address. */
export const LISTENING_LINES = [/^aviso relay listening on http:\/\/127\.0\.0\.1:\d+$/, /^\{[^{}]*"name":"aviso:http","msg":"Server listening at http:\/\/127\.0\.0\.1:\d+"\}$/];

export interface Seizure {
  outcome: ScenarioOutcome;
  images: Array<SeizedImage & { how: string; inventory: FolderInventory }>;
  log: string;
  logInventory: { lines: number; kinds: LogKind[] };
  logLevel: string;
  exitCode: number | null;
  findings: Finding[];
  /**
   * A copy of the group creator's SDK data folder, taken after the scenario: a seized phone. It is
   * the checker's positive control on real data (it must find titles and names there).
   */
  phoneDir: string;
  /** Copies of every member's SDK data folder, taken with phoneDir (the device section: devices.ts). */
  memberDirs: Array<{ name: string; dir: string }>;
  /** Keeps the images until `dispose()`, so a test can plant things in copies of them. */
  dispose(): void;
}

/**
 * Runs the scenario against a real relay process, kills it (SIGKILL: the WAL stays), copies that
 * image, restarts the relay on the same folder, stops it with SIGTERM, and inventories and checks
 * both images and everything the relay printed.
 */
export async function seize(size: ScenarioSize, logLevel = 'debug'): Promise<Seizure> {
  const relay = await RelayProcess.start({ env: { AVISO_LOG_LEVEL: logLevel } });
  const pool = new ClientPool();
  const killedDir = mkdtempSync(join(tmpdir(), 'aviso-seized-kill-'));
  const phoneDir = mkdtempSync(join(tmpdir(), 'aviso-seized-phone-'));
  const membersRoot = mkdtempSync(join(tmpdir(), 'aviso-seized-members-'));
  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    rmSync(killedDir, { recursive: true, force: true });
    rmSync(phoneDir, { recursive: true, force: true });
    rmSync(membersRoot, { recursive: true, force: true });
    rmSync(relay.dataDir, { recursive: true, force: true });
  };
  try {
    const outcome = await runScenario(relay, pool, size);
    await waitForOnlineQueuesToDrain(relay.dataDir, outcome);
    // Every client closes first, so none reconnects to the restarted relay below.
    cpSync(outcome.adminPhoneDir, phoneDir, { recursive: true });
    const memberDirs = outcome.memberDirs.map((m, i) => {
      const dir = join(membersRoot, `${i}`);
      cpSync(m.dir, dir, { recursive: true });
      return { name: m.name, dir };
    });
    await pool.dispose();
    // Nothing is in flight from here on: whatever a deletion left in the WAL must go within the bound.
    const quietSince = Date.now();
    await waitForEmptyWal(relay.dataDir, quietSince + WAL_BOUND_MS);
    const killedAt = Date.now();
    await relay.stop('SIGKILL');
    cpSync(relay.dataDir, killedDir, { recursive: true });
    await relay.start();
    const exitCode = await relay.stop('SIGTERM');

    const images = [
      { label: 'after SIGTERM', how: 'Graceful stop: the relay checkpoints and truncates its WAL before exiting. This is what a powered-down server holds.', inventory: inventoryFolder(relay.dataDir) },
      {
        label: 'after SIGKILL',
        how: `Killed (or the disk imaged while running) once the relay had been quiet for at most the WAL bound (${WAL_BOUND_MS / 1000} s): the WAL file and its index are still there, and its every frame, current and stale, is decoded.`,
        inventory: inventoryFolder(killedDir),
        seizedAt: killedAt,
        quietSince,
      },
    ];
    const findings = checkSeizure({
      images,
      log: relay.log,
      secrets: outcome.secrets,
      accounts: outcome.accounts,
      groupIds: outcome.groupIds,
      allowedLogLines: LISTENING_LINES,
    });
    return { outcome, images, phoneDir, memberDirs, log: relay.log, logInventory: inventoryLog(relay.log), logLevel, exitCode, findings, dispose };
  } catch (err) {
    await pool.dispose();
    await relay.dispose();
    dispose();
    throw Object.assign(err instanceof Error ? err : new Error(String(err)), { relayLog: relay.log });
  }
}

/**
 * Until the relay's WAL file is empty (its checkpoint timer truncated it), or `deadline`: a relay
 * that keeps deleted rows in its WAL longer is then seized anyway, and the checks fail on it.
 */
async function waitForEmptyWal(dataDir: string, deadline: number): Promise<void> {
  for (;;) {
    let bytes = 0;
    try {
      bytes = statSync(join(dataDir, `${DB_FILE}-wal`)).size;
    } catch {
      return;
    }
    if (bytes === 0 || Date.now() >= deadline) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Members still connected acknowledge what they were sent; waiting for that keeps the queued
 * envelopes to exactly what offline members are owed, so the report reads the same run to run.
 * Gives up after 30 s (the inventory then simply shows more queued rows).
 */
async function waitForOnlineQueuesToDrain(dataDir: string, outcome: ScenarioOutcome): Promise<void> {
  const offline = new Set(outcome.offline.map((o) => o.accountId));
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    const db = new Database(join(dataDir, DB_FILE), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT account_id FROM messages').all() as { account_id: string }[];
      if (rows.every((r) => offline.has(r.account_id))) return;
    } finally {
      db.close();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
