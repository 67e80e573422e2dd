import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import { REPO_ROOT, RelayProcess } from '../support/relay.js';
import { entry } from '../support/entry.js';

/**
 * Issue 14's start-up checks, on real relay processes: a mistyped AVISO_* setting is named with the
 * setting it was meant to be, the log says which migrations ran, and `serve` refuses a database
 * that newer code migrated, saying which schema version it needs.
 */

const CLI = entry('aviso-relay');
const MIGRATIONS = (JSON.parse(readFileSync(join(REPO_ROOT, 'packages/server/drizzle/meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] }).entries.map((e) => e.tag);

const relays: RelayProcess[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) await r.dispose();
});

async function start(env: Record<string, string> = {}, dataDir?: string): Promise<RelayProcess> {
  const relay = await RelayProcess.start({ env, ...(dataDir === undefined ? {} : { dataDir }) });
  relays.push(relay);
  return relay;
}

function serveOnce(dataDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...CLI, 'serve'],
      { cwd: REPO_ROOT, timeout: 60_000, env: { ...process.env, AVISO_HOST: '127.0.0.1', AVISO_PORT: '0', AVISO_DATA_DIR: dataDir } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('relay start-up checks', () => {
  test('an unknown AVISO_* variable is warned about with the closest setting; the relay still starts', { timeout: 120_000 }, async () => {
    const relay = await start({ AVISO_QUEUE_TTL_DAY: '1', AVISO_NOT_A_THING_AT_ALL: 'x' });
    expect(relay.log).toContain('aviso-relay: warning: AVISO_QUEUE_TTL_DAY is not a relay setting and is ignored — did you mean AVISO_QUEUE_TTL_DAYS?');
    expect(relay.log).toContain('aviso-relay: warning: AVISO_NOT_A_THING_AT_ALL is not a relay setting and is ignored — see "aviso-relay --help" for the settings');
    // Known settings (and the member tools' own variables) draw no warning.
    expect(relay.log).not.toMatch(/warning: AVISO_(PORT|HOST|DATA_DIR|LOG_LEVEL) /);
    expect((await fetch(`${relay.url}/health`)).status).toBe(200);
  });

  test('the log names the migrations a start applied, and says so when there were none', { timeout: 120_000 }, async () => {
    const relay = await start();
    expect(relay.log).toContain(`applied ${MIGRATIONS.length} database migrations: ${MIGRATIONS.join(', ')} (schema version ${MIGRATIONS.length})`);
    await relay.restart();
    expect(relay.log).toContain(`database schema version ${MIGRATIONS.length} is current: no migrations to apply`);
  });

  test('serve refuses a database migrated by newer code, naming the schema version it needs, and leaves it alone', { timeout: 120_000 }, async () => {
    const relay = await start();
    await relay.stop();
    const file = join(relay.dataDir, 'aviso.sqlite');
    // What a newer aviso-relay leaves: one more migration than this build knows, with a table it has never seen.
    const db = new Database(file);
    const { at } = db.prepare('SELECT max(created_at) AS at FROM __drizzle_migrations').get() as { at: number };
    db.exec('CREATE TABLE alert_receipts (id INTEGER PRIMARY KEY, seen_at INTEGER NOT NULL)');
    db.prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)').run('f'.repeat(64), at + 86_400_000);
    db.close();
    const before = sha256(file);

    const run = await serveOnce(relay.dataDir);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('listening');
    const newer = MIGRATIONS.length + 1;
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      `aviso-relay: ${file} comes from a newer aviso-relay: it has database schema version ${newer}, this aviso-relay knows versions up to ${MIGRATIONS.length} — ` +
        `upgrade Aviso to use it, or restore the backup taken before the upgrade (an Aviso with schema version ${newer} or later)`,
    );
    expect(sha256(file)).toBe(before);
    // token commands open the database the way serve does: refused the same way.
    const token = await relay.cli('token', 'list').then(
      () => 'ran',
      (err: { code?: number; stderr?: string }) => `${err.code}: ${err.stderr ?? ''}`,
    );
    expect(token).toMatch(/^1: .*database schema version/s);
    expect(sha256(file)).toBe(before);
  });
});
