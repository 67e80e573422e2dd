import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUILT_AVISO, ensureBuilt, runBuilt, type BuiltRun } from '../support/built-cli.js';
import { BackgroundAviso } from '../support/cli-process.js';
import { RelayProcess } from '../support/relay.js';

// The `aviso` command in Spanish (issue 14), as a Spanish-first member runs it: the built command
// line under plain node, a real relay, real profiles. AVISO_LANG=es, or only the locale
// (LANG=es_MX.UTF-8), gives Spanish help, errors, plurals, board lines and dates in the local time
// zone; Spanish words are accepted for kinds, severities and answers; --json stays as it was.
// vitest.config.ts pins AVISO_LANG=en for every other test: each run here sets its own language.

let home: string;
let relay: RelayProcess;

const SPANISH = { AVISO_LANG: 'es' };
/** Only the locale says Spanish: AVISO_LANG and the stronger locale variables are empty. */
const LOCALE_ONLY = { AVISO_LANG: '', LC_ALL: '', LC_MESSAGES: '', LANG: 'es_MX.UTF-8' };

function aviso(args: readonly string[], env: Record<string, string> = SPANISH): Promise<BuiltRun> {
  return runBuilt(BUILT_AVISO, args, { env: { AVISO_HOME: home, ...env } });
}

async function ok(args: readonly string[], env: Record<string, string> = SPANISH): Promise<BuiltRun> {
  const r = await aviso(args, env);
  expect(r.code, `aviso ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

beforeAll(async () => {
  ensureBuilt();
  home = mkdtempSync(join(tmpdir(), 'aviso-cli-es-'));
  relay = await RelayProcess.start();
}, 120_000);

afterAll(async () => {
  await relay?.dispose();
  rmSync(home, { recursive: true, force: true });
});

describe('aviso in Spanish', () => {
  test('help and usage errors in Spanish from AVISO_LANG or from LANG alone; --json stays English', async () => {
    const help = await ok(['--help']);
    expect(help.stdout).toMatch(/^Uso: aviso <comando> \[argumentos\] \[opciones\]\n/);
    // The column is as wide as the longest command name (`passphrase duress clear`).
    expect(help.stdout).toMatch(/^ {2}listen {2,}quédate conectado y ve las alertas en vivo \(Ctrl-C para salir\)$/m);
    expect(help.stdout).not.toContain('Usage:');

    const alertHelp = await ok(['alert', '--help'], LOCALE_ONLY);
    expect(alertHelp.stdout).toContain('Manda una alerta a todos los miembros de un grupo.');
    expect(alertHelp.stdout).toContain('--json: {"type":"alert-sent","id","groupId","group"}'); // the shape is not translated

    const usage = await aviso(['alert'], LOCALE_ONLY);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^aviso: faltan argumentos para `aviso alert`: aviso alert <group> --kind KIND/);

    // LC_ALL=C wins over LANG=es_MX, as POSIX has it: English.
    const c = await aviso(['--help'], { ...LOCALE_ONLY, LC_ALL: 'C' });
    expect(c.stdout).toMatch(/^Usage: aviso <command>/);

    const noAccount = await aviso(['--profile', 'nadie', 'groups', '--json']);
    expect(noAccount.code).toBe(1);
    expect(noAccount.stderr).toBe('aviso: el perfil «nadie» todavía no tiene cuenta — corre `aviso register <relay-url> <token>` o `aviso join <invite-code>`\n');
    expect(JSON.parse(noAccount.stdout)).toEqual({ type: 'error', code: 'NOT_REGISTERED', message: 'profile "nadie" has no account yet — run `aviso register <relay-url> <token>` or `aviso join <invite-code>`' });
  });

  test('plurals, Spanish kinds and answers, the live board lines and local dates', { timeout: 300_000 }, async () => {
    const token = await relay.createToken();
    await ok(['--profile', 'rosa', 'register', relay.url, token, '--name', 'Rosa']);
    const created = await ok(['--profile', 'rosa', 'group', 'create', 'Eastside']);
    expect(created.stdout).toMatch(/^grupo «Eastside» creado \([0-9a-f]{8}\)\nsigue: .*--profile rosa invite "Eastside"\n$/);
    expect((await ok(['--profile', 'rosa', 'groups'])).stdout).toMatch(/ {2}Eastside {2}\(1 miembro, eres organizador\)\n$/);

    // The invite's expiry in the local zone (TZ), as Intl words it there: not UTC, not hand-sliced.
    const zone = { ...SPANISH, TZ: 'America/Mexico_City' };
    const invite = await ok(['--profile', 'rosa', 'invite', 'Eastside', '--uses', '2'], zone);
    const [first, code] = invite.stdout.split('\n') as [string, string];
    const expiresAt = JSON.parse((await ok(['--profile', 'rosa', 'invite', 'Eastside', '--json'])).stdout).expiresAt as number;
    const local = new Intl.DateTimeFormat('es', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'America/Mexico_City' }).format(expiresAt);
    expect(first).toMatch(/^invitación a «Eastside» — 2 usos, vence .+:$/);
    expect(first).toContain(local);
    expect(first).toContain('GMT-6'); // the zone is named

    await ok(['--profile', 'ana', 'join', code, '--name', 'Ana']);
    expect((await ok(['--profile', 'rosa', 'groups'])).stdout).toContain('(2 miembros, eres organizador)');

    // Piped, listen prints one line per event; in Spanish, with the Spanish kind and severity.
    const listen = new BackgroundAviso(home, ['--profile', 'ana', 'listen'], SPANISH);
    try {
      await listen.waitFor(/escuchando \(al día\); Ctrl-C para salir/, 'ready');
      // Spanish words on input, with or without their accents: retén = checkpoint, muy-grave = critical.
      const sent = await ok(['--profile', 'rosa', 'alert', 'Eastside', '--kind', 'retén', '--severity', 'Muy-Grave', '--title', 'Retén en la 6', '--place', '6th y Alvarado', '--ack']);
      const id = sent.stdout.trim();
      await listen.waitFor(new RegExp(`ALERTA MUY GRAVE Retén: Retén en la 6 — 6th y Alvarado — en Eastside de Rosa \\(organizador\\) \\[${id.slice(0, 8)}\\]`), 'the alert line');

      const acked = await ok(['--profile', 'rosa', 'ack', id.slice(0, 8), 'voy en camino']);
      expect(acked.stdout).toBe('respondiste «Voy en camino» a «Retén en la 6»\n');
      await listen.waitFor(new RegExp(`Rosa \\(organizador\\) respondió «Voy en camino» a \\[${id.slice(0, 8)}\\] \\(visto 0 · en camino 1 ·`), 'the answer line');
      const noEs = await aviso(['--profile', 'rosa', 'ack', id.slice(0, 8), 'quizás']);
      expect(noEs.code).toBe(2);
      expect(noEs.stderr).toBe('aviso: la respuesta tiene que ser uno de estos: visto, voy-en-camino, en-el-lugar, no-puedo (o seen, on-my-way, on-scene, cannot) (recibió «quizás»)\n');
    } finally {
      await listen.interrupt();
    }

    const json = JSON.parse((await ok(['--profile', 'ana', 'alerts', '--json'])).stdout);
    expect(json).toMatchObject({ type: 'alert', kind: 'checkpoint', severity: 'critical', acks: { onMyWay: 1 } }); // the protocol's words
    const listed = (await ok(['--profile', 'ana', 'alerts'])).stdout.split('\n');
    expect(listed[0]).toMatch(/^[0-9a-f]{8} {2}MUY GRAVE Retén: Retén en la 6 — 6th y Alvarado — (ahora mismo|hace 1 min) en «Eastside» de Rosa \(organizador\)$/);
    expect(listed[1]).toBe('          visto 0 · en camino 1 · en el lugar 0 · no pueden 0 · confirman 0 · dudan 0');

    // The member host's own errors too (a name that matches nothing), with the English code.
    const missing = await aviso(['--profile', 'ana', 'members', 'Westside', '--json']);
    expect(missing.stderr).toBe('aviso: no hay ningún grupo llamado «Westside» ni con id «Westside» — corre `aviso groups` para ver la lista\n');
    expect(JSON.parse(missing.stdout)).toMatchObject({ code: 'NOT_FOUND', message: 'no group named "Westside" or with id "Westside" — run `aviso groups` to list them' });
  });
});
