/**
 * Issue 11, findings 7 and 8: hostile text and look-alike names from other members, against a real
 * relay. The victims are real `aviso` processes (piped, as in a log or a pipe to another program);
 * the hostile members are SDK clients in this process.
 *
 * A hostile member is not bound by the SDK's own checks: to send names the SDK refuses to set, this
 * file swaps `normalizeDisplayName` (the check on *setting* a name) for a pass-through while the hostile
 * members join, so their profile blobs carry the raw names, sealed and signed like any other. The
 * victims' processes run the real SDK, so what they show proves neutralise-on-receive.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { AvisoClient, type Group } from '@aviso/client';
import { ClientPool, nextEvent } from '../support/clients.js';
import { BackgroundAviso, runAviso, type CliResult } from '../support/cli-process.js';
import { RelayProcess } from '../support/relay.js';

const setting = vi.hoisted(() => ({ unchecked: false }));
vi.mock('../../packages/client/src/groups/display-name.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../packages/client/src/groups/display-name.ts')>();
  return { ...real, normalizeDisplayName: (name: string) => (setting.unchecked ? name : real.normalizeDisplayName(name)) };
});

// What the hostile members send. Each is within the protocol's limits and valid UTF-16.
const TITLE = '\u001B[2J\u001B[HAgents gone\u001B]0;ALL CLEAR from Rosa\u0007';
const FAKE_LINE = '14:05 ALL CLEAR [2cdb2af6] from Rosa';
const PLACE = `5th and Main\n${FAKE_LINE}`;
const BODY = 'two vans\u009B2J\u001B[31m red\u001B[0m';
const TEXT = `\u001B]0;pwned\u0007all safe now\r\u001B[2K${FAKE_LINE}`;
const NOTE = 'seen\u0085\u001BP+q\u001B\\ it\u202E';
// Names that pass for the admin "Rosa".
const ZERO_WIDTH = 'Ro\u200Bsa';
const CYRILLIC = 'R\u043E\u0455\u0430'; // Latin R, Cyrillic о ѕ а
const OVERRIDE = '\u202ERosa (admin)\r\n';

/** Code points a terminal would act on (C0 but newline, DEL, C1), and bidi controls. */
function unsafeCharacters(output: string): string[] {
  return [...output]
    .filter((c) => {
      const cp = c.codePointAt(0)!;
      return (cp < 0x20 && cp !== 0x0a) || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0x200b;
    })
    .map((c) => `U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

/** No control reached the terminal and no line of the output is one a hostile member wrote. */
function expectSafe(output: string): void {
  expect(unsafeCharacters(output)).toEqual([]);
  for (const line of output.split('\n')) expect(line.startsWith(FAKE_LINE.slice(0, 15)), line).toBe(false);
}

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

let home: string;
let relay: RelayProcess;
const pool = new ClientPool();
let code: string;
let rosaId: string;
let anaId: string;
const hostile: Record<'zeroWidth' | 'cyrillic' | 'override', { client: AvisoClient; group: Group }> = {} as never;
let alertId: string;

const aviso = (...args: string[]) => runAviso(home, args);
async function ok(...args: string[]): Promise<CliResult> {
  const r = await aviso(...args);
  if (r.code !== 0) throw new Error(`aviso ${args.join(' ')} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r;
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'aviso-hostile-text-'));
  relay = await RelayProcess.start();
  // The organiser Rosa and two members, Ana and Luis, all as `aviso` users.
  rosaId = String(jsonLines((await ok('register', relay.url, await relay.createToken(), '--name', 'Rosa', '--json')).stdout)[0]!['accountId']);
  await ok('group', 'create', 'Eastside');
  code = String(jsonLines((await ok('invite', 'Eastside', '--uses', '10', '--json')).stdout)[0]!['code']);
  anaId = String(jsonLines((await ok('--profile', 'ana', 'join', code, '--name', 'Ana', '--json')).stdout)[0]!['accountId']);
  await ok('--profile', 'luis', 'join', code, '--name', 'Luis');

  // Three infiltrators with the same leaked invite, each passing for Rosa.
  setting.unchecked = true;
  try {
    for (const [key, name] of [['zeroWidth', ZERO_WIDTH], ['cyrillic', CYRILLIC], ['override', OVERRIDE]] as const) {
      const client = await pool.open(pool.newDataDir(key));
      hostile[key] = { client, group: await client.join(code, { displayName: name }) };
    }
  } finally {
    setting.unchecked = false;
  }
  for (const h of Object.values(hostile)) {
    await h.group.sync();
    await h.client.connect();
  }
  const seen = nextEvent(hostile.cyrillic.client, 'alert', undefined, 60_000);
  alertId = await hostile.zeroWidth.group.sendAlert({ kind: 'raid', severity: 'critical', title: TITLE, place: PLACE, body: BODY, requestAck: true });
  await seen;
  await hostile.cyrillic.group.confirm(alertId, NOTE);
  await hostile.zeroWidth.group.sendText(TEXT);
}, 600_000);

afterAll(async () => {
  await pool.dispose();
  await relay?.dispose();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('finding 7: hostile text reaches no terminal raw', () => {
  test('piped `aviso listen` prints every event on its own line, with no escape or control, and names the sender with role and look-alike flag', { timeout: 300_000 }, async () => {
    const listen = new BackgroundAviso(home, ['--profile', 'ana', 'listen']);
    try {
      await listen.waitFor(/listening \(caught up\)/, 'the ready line');
    } finally {
      expect(await listen.interrupt()).toBe(0);
    }
    const out = listen.stdout;
    expectSafe(out);
    const lines = out.split('\n');
    const alertLine = lines.find((l) => l.includes(`[${alertId.slice(0, 8)}]`) && l.includes(' ALERT '));
    expect(alertLine, out).toBeDefined();
    expect(alertLine).toContain('Agents gone'); // the text is still there to read, minus the escapes
    expect(alertLine).toContain(`5th and Main\u21B5${FAKE_LINE}`); // the fake line is part of the place, on the alert's line
    expect(alertLine).toContain(`from Rosa (member, id ${hostile.zeroWidth.client.accountId.slice(0, 8)} — name looks like another member's)`);
    expect(lines.some((l) => / · Rosa \(member, id [0-9a-f]{8} — name looks like another member's\): .*all safe now/.test(l)), out).toBe(true);
    expect(lines.some((l) => l.includes('confirmed [') && l.includes(`R\u043E\u0455\u0430 (member, id ${hostile.cyrillic.client.accountId.slice(0, 8)}`)), out).toBe(true);
  });

  test('`aviso alerts` shows title and place on one line without escapes; `--json` keeps the exact text', { timeout: 120_000 }, async () => {
    const human = await ok('--profile', 'ana', 'alerts');
    expectSafe(human.stdout + human.stderr);
    expect(human.stdout).toContain(`Agents gone — 5th and Main\u21B5${FAKE_LINE}`);
    expect(human.stdout).toContain('from Rosa (member, id ');

    const [json] = jsonLines((await ok('--profile', 'ana', 'alerts', '--json')).stdout);
    expect(json).toMatchObject({ id: alertId, title: TITLE, place: PLACE, body: BODY, fromName: 'Rosa', acks: { confirmed: 1 } });
  });

  test('`aviso listen --json` carries every hostile field exactly', { timeout: 300_000 }, async () => {
    const listen = new BackgroundAviso(home, ['--profile', 'luis', 'listen', '--json']);
    try {
      await listen.waitFor(/"type":"ready"/, 'ready');
    } finally {
      expect(await listen.interrupt()).toBe(0);
    }
    const events = jsonLines(listen.stdout);
    expect(events.find((e) => e['type'] === 'alert')).toMatchObject({ id: alertId, title: TITLE, place: PLACE, body: BODY });
    expect(events.find((e) => e['type'] === 'confirm')).toMatchObject({ alertId, note: NOTE });
    expect(events.find((e) => e['type'] === 'text')).toMatchObject({ text: TEXT, from: hostile.zeroWidth.client.accountId });
  });

  test('`aviso join` with a hostile code: the error it echoes is safe on the terminal, exact in JSON', { timeout: 60_000 }, async () => {
    const echoed = '\u001B]0;pwned\u0007\u001B[2J';
    const bad = `${relay.url}/join#${Buffer.from(JSON.stringify({ v: echoed })).toString('base64url')}`;
    const r = await aviso('--profile', 'eve', 'join', bad, '--name', 'Eve', '--json');
    expect(r.code).toBe(1);
    expectSafe(r.stderr);
    // The window-title and screen-clear sequences are dropped whole.
    expect(r.stderr).toBe('aviso: that invite code does not work: unsupported invite code version  — check it was copied whole, or ask for a new one\n');
    expect(jsonLines(r.stdout)).toEqual([{ type: 'error', code: 'INVALID_INVITE', message: expect.stringContaining(`version ${echoed} —`) as unknown }]);
  });
});

describe('finding 8: display-name spoofing', () => {
  test('the SDK refuses to set a name with invisible, bidi or control characters (typed error, nothing registered)', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aviso-refused-'));
    const client = await AvisoClient.open({ dataDir: dir });
    try {
      for (const [name, reason] of [[ZERO_WIDTH, 'invisible-character'], [OVERRIDE, 'bidi-control'], ['Rosa\u001B[2J', 'control-character']] as const) {
        const err = await client.join(code, { displayName: name }).catch((e: unknown) => e);
        expect(err, name).toMatchObject({ name: 'DisplayNameError', reason });
        expect(client.isRegistered).toBe(false); // refused before the invite's token was spent
      }
    } finally {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const r = await aviso('--profile', 'eve2', 'join', code, '--name', ZERO_WIDTH, '--json');
    expect(r.code).toBe(2);
    expect(jsonLines(r.stdout)[0]).toMatchObject({ type: 'error', code: 'INVALID_NAME' });
    expectSafe(r.stderr);
  });

  test('received names are neutralised and look-alikes flagged, in the SDK and in `aviso members`', { timeout: 120_000 }, async () => {
    const members = jsonLines((await ok('--profile', 'ana', 'members', 'Eastside', '--json')).stdout);
    const byId = new Map(members.map((m) => [String(m['accountId']), m]));
    const z = hostile.zeroWidth.client.accountId;
    const c = hostile.cyrillic.client.accountId;
    const o = hostile.override.client.accountId;
    expect(byId.get(z)).toMatchObject({ displayName: 'Rosa', role: 'member' });
    expect(byId.get(c)).toMatchObject({ displayName: CYRILLIC, role: 'member' });
    expect(byId.get(o)).toMatchObject({ displayName: 'Rosa (admin)', role: 'member' });
    expect(new Set(byId.get(rosaId)!['confusableWith'] as string[])).toEqual(new Set([z, c, o]));
    for (const id of [z, c, o]) expect(byId.get(id)!['confusableWith']).toContain(rosaId);
    expect(byId.get(anaId)!['confusableWith']).toEqual([]);
    // The SDK's own member list says the same (here read by one of the infiltrators' clients).
    const sdk = new Map((await hostile.override.group.members()).map((m) => [m.accountId, m]));
    expect(sdk.get(z)).toMatchObject({ displayName: 'Rosa', confusableWith: expect.arrayContaining([rosaId, c, o]) as unknown });
    expect(sdk.get(o)?.displayName).toBe('Rosa (admin)');

    const human = await ok('--profile', 'ana', 'members', 'Eastside');
    expectSafe(human.stdout);
    const line = (id: string) => human.stdout.split('\n').find((l) => l.startsWith(id.slice(0, 8)))!;
    expect(line(rosaId)).toMatch(/^[0-9a-f]{8} {2}Rosa {2}organiser {2}— name looks like /);
    expect(line(z)).toMatch(new RegExp(`^${z.slice(0, 8)} {2}Rosa {2}member, invited by Rosa \\(${rosaId.slice(0, 8)}\\) {2}— name looks like .*Rosa \\(${rosaId.slice(0, 8)}\\)`));
    expect(line(anaId)).not.toContain('looks like');
  });

  test('`aviso` name resolution calls "Rosa" ambiguous while a look-alike is in the group', { timeout: 120_000 }, async () => {
    const r = await aviso('--profile', 'ana', 'verify', 'Rosa', '--json');
    expect(r.code).toBe(1);
    expectSafe(r.stderr);
    expect(jsonLines(r.stdout)[0]).toMatchObject({ type: 'error', code: 'AMBIGUOUS' });
    expect(r.stderr).toMatch(/^aviso: "Rosa" matches 4 members: /);
    for (const id of [rosaId, hostile.zeroWidth.client.accountId, hostile.cyrillic.client.accountId, hostile.override.client.accountId]) expect(r.stderr).toContain(`(${id.slice(0, 8)})`);
  });
});
