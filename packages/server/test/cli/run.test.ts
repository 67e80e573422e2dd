import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTES } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { parseDuration } from '../../src/cli/duration.js';
import { EXIT_OK, EXIT_USAGE, runCli } from '../../src/cli/run.js';
import { buildApp, createContext, createLogger, loadConfig } from '../../src/index.js';
import { hashToken } from '../../src/services/tokens.js';
import { LogSink, newIdentity, registerRequest, tempDir } from '../helpers.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('aviso-relay CLI', () => {
  test('parseDuration', () => {
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('3600s')).toBe(3_600_000);
    for (const bad of ['', '7', 'd', '0d', '-1h', '1.5h', '7 days', '5x']) expect(parseDuration(bad), bad).toBeUndefined();
  });

  test('token create prints the token alone on the last stdout line; it registers once; list and revoke work', async () => {
    const dir = tempDir();
    const env = { AVISO_DATA_DIR: dir, AVISO_LOG_LEVEL: 'error' };
    const created = capture();
    expect(await runCli(['token', 'create', '--uses', '2', '--expires', '24h'], env, created.io)).toBe(EXIT_OK);
    const token = created.out.at(-1)!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 bytes, base64url
    expect(created.err.join('\n')).toMatch(/2 registrations/);
    expect(statSync(join(dir, 'aviso.sqlite')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'relay-keys.json')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);

    const listed = capture();
    expect(await runCli(['token', 'list'], env, listed.io)).toBe(EXIT_OK);
    expect(listed.out).toHaveLength(1);
    expect(listed.out[0]).toContain(hashToken(token).slice(0, 12));
    expect(listed.out[0]).toContain('uses-left=2');
    expect(listed.out.join('\n')).not.toContain(token);

    // The relay reading the same data folder accepts the token.
    const ctx = createContext(loadConfig(env), { logger: createLogger('error', new LogSink().stream), sweepIntervalMs: 0 });
    const app = buildApp(ctx);
    try {
      const res = await app.inject({ method: 'POST', url: ROUTES.accounts, payload: registerRequest(token, newIdentity()) });
      expect(res.statusCode).toBe(200);
    } finally {
      await app.close();
      ctx.close();
    }

    const revoked = capture();
    expect(await runCli(['token', 'revoke', hashToken(token).slice(0, 8)], env, revoked.io)).toBe(EXIT_OK);
    const after = capture();
    await runCli(['token', 'list'], env, after.io);
    expect(after.out).toHaveLength(0);
  });

  test('usage errors exit 2 with a message', async () => {
    const env = { AVISO_DATA_DIR: tempDir() };
    for (const argv of [
      ['token', 'create', '--expires', '5x'],
      ['token', 'create', '--uses', '0'],
      ['token', 'create', '--bogus'],
      ['token', 'revoke'],
      ['frobnicate'],
      [],
    ]) {
      const c = capture();
      expect(await runCli(argv, env, c.io), argv.join(' ')).toBe(EXIT_USAGE);
    }
    const c = capture();
    await runCli(['token', 'create', '--expires', '5x'], env, c.io);
    expect(c.err.join('\n')).toMatch(/--expires/);
  });

  test('a bad environment exits 2 naming the variable', async () => {
    const c = capture();
    expect(await runCli(['token', 'list'], { AVISO_DATA_DIR: tempDir(), AVISO_QUEUE_TTL_DAYS: 'week' }, c.io)).toBe(EXIT_USAGE);
    expect(c.err.join('\n')).toContain('AVISO_QUEUE_TTL_DAYS');
  });

  test('--help works for every command', async () => {
    for (const argv of [['--help'], ['serve', '--help'], ['token', '--help'], ['token', 'create', '--help'], ['token', 'list', '-h'], ['token', 'revoke', '--help']]) {
      const c = capture();
      expect(await runCli(argv, {}, c.io), argv.join(' ')).toBe(EXIT_OK);
      expect(c.out.join('\n')).toMatch(/Usage: aviso-relay/);
    }
  });
});
