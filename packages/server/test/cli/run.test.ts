import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ROUTES } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { parseDuration } from '../../src/cli/duration.js';
import { acquireDataLock } from '../../src/cli/data-lock.js';
import { SETTING_NAMES } from '../../src/config.js';
import { ENV_VARS } from '../../src/cli/help.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, runCli } from '../../src/cli/run.js';
import { buildApp, createContext, createLogger, loadConfig } from '../../src/index.js';
import { hashToken } from '../../src/services/accounts/tokens.js';
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

  test('speaks Spanish when AVISO_LANG or the locale says so: help, usage errors, token messages', async () => {
    const help = capture();
    expect(await runCli(['--help'], { AVISO_LANG: 'es' }, help.io)).toBe(EXIT_OK);
    expect(help.out[0]).toMatch(/^Uso: aviso-relay <comando> \[opciones\]/);
    expect(help.out[0]).toContain('  token create [options]     crea un código de registro');
    const wrong = capture();
    expect(await runCli(['frobnicate'], { LANG: 'es_MX.UTF-8' }, wrong.io)).toBe(EXIT_USAGE);
    expect(wrong.err).toEqual(['aviso-relay: no existe el comando «frobnicate» (ver "aviso-relay --help")']);
    const env = { AVISO_DATA_DIR: tempDir(), AVISO_LOG_LEVEL: 'error', AVISO_LANG: 'es' };
    const created = capture();
    expect(await runCli(['token', 'create'], env, created.io)).toBe(EXIT_OK);
    expect(created.err).toEqual([expect.stringMatching(/^Código de registro para 1 registro, vence \d{4}-.*Entrégalo en privado; solo se muestra esta vez:$/)]);
    const none = capture();
    expect(await runCli(['token', 'revoke', 'ffffffff'], env, none.io)).toBe(EXIT_FAILURE);
    expect(none.err).toEqual(['aviso-relay: ningún hash de código empieza con «ffffffff» — ver "aviso-relay token list"']);
    const english = capture();
    expect(await runCli(['token', 'revoke', 'ffffffff'], { ...env, AVISO_LANG: 'en' }, english.io)).toBe(EXIT_FAILURE);
    expect(english.err).toEqual(['aviso-relay: no token hash starts with "ffffffff" — see "aviso-relay token list"']);
  });

  test('speaks Spanish for info, backup, restore, their help, parse errors and unknown settings; --json stays English', async () => {
    const dir = tempDir();
    const es = { AVISO_DATA_DIR: dir, AVISO_LOG_LEVEL: 'error', AVISO_LANG: 'es' };
    expect(await runCli(['token', 'create'], es, capture().io)).toBe(EXIT_OK);

    const info = capture();
    expect(await runCli(['info'], es, info.io)).toBe(EXIT_OK);
    expect(info.out[0]).toMatch(/^URL del servidor +http:\/\/127\.0\.0\.1:8080 {2}\(donde escucha serve; los miembros usan tu dirección pública https:\/\/\)$/);
    expect(info.out[1]).toMatch(/^carpeta de datos +.* {2}\(ningún servidor la está usando\)$/);
    expect(info.out).toContainEqual(expect.stringMatching(/^códigos vigentes +1$/));
    // One column for all values, wide enough for the longest Spanish label.
    // (The fingerprint's last 3 lines have no label: they start in that column.)
    expect(new Set(info.out.map((l) => /^.*?\S {2,}(?=\S)/.exec(l)?.[0].length ?? l.search(/\S/))).size).toBe(1);
    expect(info.out.at(-1)).toMatch(/^uso del disco +[\d.]+ KiB \(\d+ bytes\)$/);
    const json = capture();
    expect(await runCli(['info', '--json'], es, json.io)).toBe(EXIT_OK);
    expect(Object.keys(JSON.parse(json.out.join('\n')) as object)).toEqual(['listenUrl', 'dataDir', 'serving', 'protocolVersion', 'trustRoot', 'counts', 'diskBytes']);

    const file = join(tempDir(), 'relay.bak');
    const backup = capture();
    expect(await runCli(['backup', file], es, backup.io)).toBe(EXIT_OK);
    expect(backup.out).toEqual([file]);
    expect(backup.err[0]).toBe(`ATENCIÓN: ${file} contiene las CLAVES PRIVADAS del servidor. Guárdalo cifrado y fuera de línea; quien lo tenga puede hacerse pasar por este servidor.`);
    expect(backup.err[1]).toMatch(/^Respaldo hecho: 0 cuentas, 0 grupos, 0 sobres en cola \([\d.]+ KiB\); SHA-256 de la raíz de confianza [0-9a-f]{64}\.$/);
    const again = capture();
    expect(await runCli(['backup', file], es, again.io)).toBe(EXIT_FAILURE);
    expect(again.err).toEqual([`aviso-relay: ${file} ya existe — elige otro nombre o pasa --force para reemplazarlo`]);
    const restored = capture();
    expect(await runCli(['restore', file, '--force'], es, restored.io)).toBe(EXIT_OK);
    expect(restored.out[0]).toMatch(/^Se restauró el respaldo del \d{4}-\S+ en .* \(se reemplazaron los datos anteriores\): 0 cuentas, 0 grupos, 0 sobres en cola\.$/);
    expect(restored.out[1]).toMatch(/^SHA-256 de la raíz de confianza [0-9a-f]{64}: revisa que sea el que publicaste/);
    const missing = capture();
    expect(await runCli(['restore', join(dir, 'nope.bak')], es, missing.io)).toBe(EXIT_FAILURE);
    expect(missing.err).toEqual([`aviso-relay: no se encontró el archivo de respaldo ${join(dir, 'nope.bak')}`]);

    for (const argv of [['serve', '--help'], ['info', '--help'], ['backup', '--help'], ['restore', '--help'], ['token', 'create', '--help']]) {
      const h = capture();
      expect(await runCli(argv, es, h.io), argv.join(' ')).toBe(EXIT_OK);
      expect(h.out[0], argv.join(' ')).toMatch(/^Uso: aviso-relay /);
      expect(h.out[0], argv.join(' ')).toContain('\nVariables de entorno:\n  AVISO_');
      expect(h.out[0], argv.join(' ')).toMatch(/\n {2}AVISO_DATA_DIR \(data\) +carpeta de datos \(base de datos y claves del servidor\)/);
      expect(h.out[0], argv.join(' ')).not.toMatch(/Usage|Options|Environment|the relay/);
    }

    const parsing: [string[], string][] = [
      [['info', '--bogus'], "aviso-relay: no existe la opción '--bogus' (ver \"aviso-relay info --help\")"],
      [['token', 'create', '--uses'], "aviso-relay: a la opción '--uses <value>' le falta su valor (ver \"aviso-relay token create --help\")"],
      [['info', '--json=yes'], "aviso-relay: la opción '--json' no lleva valor (ver \"aviso-relay info --help\")"],
      [['info', 'extra'], "aviso-relay: sobra el argumento 'extra': este comando no lleva argumentos sueltos (ver \"aviso-relay info --help\")"],
      [['backup'], 'aviso-relay: backup lleva exactamente un nombre de archivo: aviso-relay backup <file> (ver "aviso-relay backup --help")'],
    ];
    for (const [argv, line] of parsing) {
      const p = capture();
      expect(await runCli(argv, es, p.io), argv.join(' ')).toBe(EXIT_USAGE);
      expect(p.err, argv.join(' ')).toEqual([line]);
    }

    const typo = capture();
    expect(await runCli(['info'], { ...es, AVISO_PROT: '1' }, typo.io)).toBe(EXIT_OK);
    expect(typo.err).toEqual(['aviso-relay: advertencia: AVISO_PROT no es una configuración del servidor y se ignora — ¿quisiste decir AVISO_PORT?']);
  });

  test('an unknown AVISO_* name carrying terminal escapes is warned about quoted, never raw, in either language', async () => {
    const dir = tempDir();
    expect(await runCli(['token', 'create'], { AVISO_DATA_DIR: dir, AVISO_LOG_LEVEL: 'error' }, capture().io)).toBe(EXIT_OK);
    for (const lang of ['en', 'es']) {
      const c = capture();
      expect(await runCli(['info'], { AVISO_DATA_DIR: dir, AVISO_LANG: lang, 'AVISO_\u001b[2J\u001b]0;owned\u0007X': '1' }, c.io), lang).toBe(EXIT_OK);
      expect(c.err, lang).toHaveLength(1);
      expect(c.err[0], lang).toContain('"AVISO_\\u001b[2J\\u001b]0;owned\\u0007X"');
      expect([...c.err[0]!].filter((ch) => ch.charCodeAt(0) < 0x20 || ch === '\u007f'), lang).toEqual([]);
    }
  });

  test('usage mistakes exit 2 with one line naming the fix', async () => {
    const env = { AVISO_DATA_DIR: tempDir() };
    const cases: [string[], RegExp][] = [
      [['token', 'create', '--expires', '5x'], /--expires must look like 7d.*token create --help/],
      [['token', 'create', '--uses', '0'], /--uses must be a positive whole number/],
      [['token', 'create', '--bogus'], /Unknown option '--bogus'.*aviso-relay token create --help/],
      [['token', 'revoke'], /exactly one hash prefix/],
      [['token', 'revoke', 'xyz!'], /4 to 64 hex digits/],
      [['token', 'frob'], /unknown token command "frob"/],
      [['frobnicate'], /unknown command "frobnicate".*aviso-relay --help/],
      [['--verbose', 'info'], /unknown option "--verbose" before the command/],
      [['--data-dir'], /unknown option "--data-dir" before the command/],
      [['backup'], /backup takes exactly one file name/],
      [['backup', 'a', 'b'], /backup takes exactly one file name/],
      [['restore'], /restore takes exactly one backup file/],
      [['restore', 'x.bak', '--yes'], /Unknown option '--yes'/],
      [['info', 'extra'], /Unexpected argument 'extra'/],
      [['info', '--data-dir'], /--data-dir/],
    ];
    for (const [argv, message] of cases) {
      const c = capture();
      expect(await runCli(argv, env, c.io), argv.join(' ')).toBe(EXIT_USAGE);
      expect(c.err, argv.join(' ')).toHaveLength(1);
      expect(c.err[0], argv.join(' ')).toMatch(/^aviso-relay: /);
      expect(c.err[0], argv.join(' ')).toMatch(message);
      expect(c.err[0]).not.toContain('\n');
      expect(c.out, argv.join(' ')).toEqual([]);
    }
    const bare = capture();
    expect(await runCli([], env, bare.io)).toBe(EXIT_USAGE);
    expect(bare.err.join('\n')).toMatch(/Usage: aviso-relay/);
  });

  test('a bad environment exits 2 with one line naming the variable', async () => {
    for (const argv of [['token', 'list'], ['info'], ['backup', '/tmp/x.bak'], ['restore', '/tmp/x.bak'], ['serve']]) {
      const c = capture();
      expect(await runCli(argv, { AVISO_DATA_DIR: tempDir(), AVISO_QUEUE_TTL_DAYS: 'week' }, c.io), argv.join(' ')).toBe(EXIT_USAGE);
      expect(c.err).toHaveLength(1);
      expect(c.err[0]).toMatch(/^aviso-relay: invalid setting: AVISO_QUEUE_TTL_DAYS="week".* — fix the environment variable/);
      expect(c.err[0]).not.toContain('\n');
    }
  });

  test('failures that are not usage mistakes exit 1 with one line', async () => {
    const empty = tempDir();
    const missing = join(empty, 'nothing-here');
    const cases: [string[], RegExp][] = [
      [['info', '--data-dir', missing], new RegExp(`^aviso-relay: no relay data in ${missing} — set AVISO_DATA_DIR or --data-dir`)],
      [['backup', join(empty, 'b.bak'), '--data-dir', missing], /^aviso-relay: no relay data in .* — set AVISO_DATA_DIR/],
      [['restore', join(empty, 'nope.bak'), '--data-dir', missing], new RegExp(`^aviso-relay: backup file ${join(empty, 'nope.bak')} not found$`)],
      [['restore', empty, '--data-dir', missing], /^aviso-relay: .* is a folder, not a backup file$/],
      [['token', 'revoke', 'abcdef', '--data-dir', join(empty, 'relay')], /^aviso-relay: no token hash starts with "abcdef"/],
    ];
    for (const [argv, message] of cases) {
      const c = capture();
      expect(await runCli(argv, {}, c.io), argv.join(' ')).toBe(EXIT_FAILURE);
      expect(c.err, argv.join(' ')).toHaveLength(1);
      expect(c.err[0], argv.join(' ')).toMatch(message);
    }
    expect(existsSync(missing)).toBe(false); // a failed info, backup or restore creates nothing

    // --data-dir may also come first.
    for (const argv of [['--data-dir', missing, 'info'], [`--data-dir=${missing}`, 'info', '--json']]) {
      const c = capture();
      expect(await runCli(argv, { AVISO_DATA_DIR: empty }, c.io), argv.join(' ')).toBe(EXIT_FAILURE);
      expect(c.err, argv.join(' ')).toEqual([`aviso-relay: no relay data in ${missing} — set AVISO_DATA_DIR or --data-dir to the relay's data folder`]);
    }
  });

  test('a damaged relay-keys.json or database is named, with what to do', async () => {
    const dir = tempDir();
    const env = { AVISO_DATA_DIR: dir };
    expect(await runCli(['token', 'create'], env, capture().io)).toBe(EXIT_OK);
    const keys = join(dir, 'relay-keys.json');
    const good = readFileSync(keys, 'utf8');
    for (const damage of ['{"version":1', '{"version":1}', good.replace(/"trustRootPrivate": "[^"]+"/, '"trustRootPrivate": "AAAA"')]) {
      writeFileSync(keys, damage);
      for (const argv of [['token', 'list'], ['info'], ['backup', join(dir, 'x.bak')]]) {
        const c = capture();
        expect(await runCli(argv, env, c.io), `${argv.join(' ')} / ${damage.slice(0, 20)}`).toBe(EXIT_FAILURE);
        expect(c.err).toHaveLength(1);
        expect(c.err[0]).toMatch(new RegExp(`^aviso-relay: ${keys} is damaged \\(.+\\) — restore it from a backup$`));
      }
    }
    rmSync(keys);
    const c = capture();
    expect(await runCli(['info'], env, c.io)).toBe(EXIT_FAILURE);
    expect(c.err).toEqual([`aviso-relay: ${keys} is missing — restore it from a backup: without it members reject this relay`]);

    // With no accounts yet, token create (like serve) makes new keys; once members exist, it refuses.
    expect(await runCli(['token', 'list'], env, capture().io)).toBe(EXIT_OK);
    expect(existsSync(keys)).toBe(true);
    const ctx = createContext(loadConfig(env), { logger: createLogger('error', new LogSink().stream), sweepIntervalMs: 0 });
    const app = buildApp(ctx);
    try {
      const { token } = ctx.services.tokens.create({ uses: 1, ttlMs: 60_000 });
      expect((await app.inject({ method: 'POST', url: ROUTES.accounts, payload: registerRequest(token, newIdentity()) })).statusCode).toBe(200);
    } finally {
      await app.close();
      ctx.close();
    }
    rmSync(keys);
    for (const argv of [['token', 'create'], ['serve']]) {
      const m = capture();
      expect(await runCli(argv, { ...env, AVISO_PORT: '0' }, m.io), argv.join(' ')).toBe(EXIT_FAILURE);
      expect(m.err).toEqual([
        `aviso-relay: ${keys} is missing but the database has 1 account — restore the relay's keys from a backup; new keys would make every member reject this relay`,
      ]);
      expect(existsSync(keys), argv.join(' ')).toBe(false);
    }

    const other = tempDir();
    writeFileSync(join(other, 'aviso.sqlite'), 'this is not a database, it is a note');
    for (const argv of [['info'], ['token', 'list']]) {
      const d = capture();
      expect(await runCli(argv, { AVISO_DATA_DIR: other }, d.io), argv.join(' ')).toBe(EXIT_FAILURE);
      expect(d.err).toHaveLength(1);
      expect(d.err[0]).toMatch(/aviso\.sqlite is damaged or not a database — restore it from a backup/);
    }
  });

  test('serve refuses a data folder another relay holds, and a port in use, in one line', async () => {
    const dir = tempDir();
    const lock = acquireDataLock(dir, 'held by the test');
    try {
      const c = capture();
      expect(await runCli(['serve'], { AVISO_DATA_DIR: dir, AVISO_PORT: '0' }, c.io)).toBe(EXIT_FAILURE);
      expect(c.err).toEqual([`aviso-relay: a relay is already serving ${dir} (or a restore is running) — stop it first`]);
    } finally {
      lock.release();
    }
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as AddressInfo;
    try {
      const c = capture();
      expect(await runCli(['serve'], { AVISO_DATA_DIR: dir, AVISO_PORT: String(port), AVISO_LOG_LEVEL: 'error' }, c.io)).toBe(EXIT_FAILURE);
      expect(c.err).toEqual([`aviso-relay: port ${port} on 127.0.0.1 is already in use — stop the program using it or set AVISO_PORT`]);
      // The failed serve let go of the data folder.
      acquireDataLock(dir, 'still held').release();
    } finally {
      blocker.close();
    }
  });

  test('--help works for every command and subcommand, and lists options and environment', async () => {
    const cases = [
      ['--help'],
      ['help'],
      ['-h'],
      ['serve', '--help'],
      ['info', '--help'],
      ['backup', '--help'],
      ['backup', 'file.bak', '-h'],
      ['restore', '--help'],
      ['token', '--help'],
      ['token', 'create', '--help'],
      ['token', 'list', '-h'],
      ['token', 'revoke', '--help'],
    ];
    for (const argv of cases) {
      const c = capture();
      expect(await runCli(argv, {}, c.io), argv.join(' ')).toBe(EXIT_OK);
      const text = c.out.join('\n');
      expect(text, argv.join(' ')).toMatch(/Usage: aviso-relay/);
      if (argv[0] !== 'token' || argv.length > 2) {
        expect(text, argv.join(' ')).toMatch(/--data-dir DIR/);
        expect(text, argv.join(' ')).toMatch(/AVISO_DATA_DIR \(data\)/);
      }
    }
    const main = capture();
    await runCli(['--help'], {}, main.io);
    for (const command of ['serve', 'info', 'backup <file>', 'restore <file>', 'token create', 'token list', 'token revoke <prefix>']) {
      expect(main.out.join('\n')).toContain(command);
    }
  });

  test('the help lists exactly the settings of the schema in config.ts, with their defaults', () => {
    // The list is generated from the schema (settings-table.test.ts checks it is current); this checks the result.
    expect(ENV_VARS.map(([name]) => name)).toEqual([...SETTING_NAMES]);
    const defaults = loadConfig({}, '/');
    expect(ENV_VARS.find(([n]) => n === 'AVISO_PORT')?.[1]).toBe(String(defaults.port));
    expect(ENV_VARS.find(([n]) => n === 'AVISO_WS_MAX_BUFFERED_KIB')?.[1]).toBe(String(defaults.wsMaxBufferedBytes / 1024));
  });
});
