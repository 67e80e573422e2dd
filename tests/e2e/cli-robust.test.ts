import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AppApi } from '../../packages/agent/src/app/api.js';
import { MemberHost } from '../../packages/agent/src/host.js';
import { profileFor } from '../../packages/agent/src/profile.js';
import { encodeInviteCode, parseInviteCode } from '../../packages/client/src/groups/invite-code.js';
import { BackgroundAviso, CLI, runAviso, type CliResult } from '../support/cli-process.js';
import { REPO_ROOT, RelayProcess } from '../support/relay.js';
import { OnTerminal, lastFrame } from '../support/terminal.js';

// The rough edges a new CLI user hit (issue 14, "What members hit"): real CLI processes, one real
// relay for the file. The relay goes away only in the last block, which brings it back.

let home: string;
let files: string;
let relay: RelayProcess;
let invite: string;

/** "José Peña" as some keyboards and input methods send it: letters followed by combining accents. */
const DECOMPOSED = 'Jose\u0301 Pen\u0303a';
const COMPOSED = 'José Peña';
/** Piped listen retries within milliseconds here (docs/cli.md "When the relay is down"). */
const FAST_RETRY = { AVISO_LISTEN_RETRY: '0.05,0.2' };

const aviso = (args: readonly string[], env: Record<string, string> = {}, input?: string): Promise<CliResult> => runAviso(home, args, env, input);

async function ok(...args: string[]): Promise<string> {
  const r = await aviso(args);
  if (r.code !== 0) throw new Error(`aviso ${args.join(' ')} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

const lastJson = (r: CliResult) => JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
/** What `aviso-relay token list` says of every live token (uses left): what a join may spend. */
const tokens = async () => (await relay.cli('token', 'list')).stdout;

/** A secret in a file of our own, owner-only unless `mode` says otherwise. */
function secretFile(name: string, text: string, mode = 0o600): string {
  const path = join(files, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

/** The code as a chat app shows it: cut every 50 characters, the pieces on their own indented lines. */
const wrapped = (code: string) => code.match(/.{1,50}/g)!.join('\n   ') + '\n';

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'aviso-cli-robust-'));
  files = mkdtempSync(join(tmpdir(), 'aviso-cli-robust-files-'));
  relay = await RelayProcess.start();
  // The token from a file: never on the command line, never printed.
  const token = await relay.createToken();
  const registered = await aviso(['register', relay.url, '--token-file', secretFile('token', `${token}\n`), '--name', 'Rosa']);
  expect(registered.code).toBe(0);
  expect(registered.stdout + registered.stderr).not.toContain(token);
  await ok('group', 'create', 'Pen\u0303a'); // the title typed with a decomposed accent
  invite = JSON.parse(await ok('invite', 'Peña', '--uses', '3', '--json')).code as string;
}, 300_000);

afterAll(async () => {
  await relay?.dispose();
  rmSync(home, { recursive: true, force: true });
  rmSync(files, { recursive: true, force: true });
});

describe('invite codes as people paste them', () => {
  test('a damaged code fails before it spends a use of its token, and leaves no account behind', { timeout: 120_000 }, async () => {
    const before = await tokens();
    expect(before).toContain('uses-left=3');
    const parsed = parseInviteCode(invite);
    const flip = (b: Uint8Array) => Uint8Array.from(b, (x, i) => (i === 5 ? x ^ 0x20 : x));
    // Still well-formed codes: one byte of the group key, or of the invite secret, changed in transit.
    for (const damaged of [encodeInviteCode({ ...parsed, masterKey: flip(parsed.masterKey) }), encodeInviteCode({ ...parsed, inviteSecret: flip(parsed.inviteSecret) })]) {
      // From a file others may read: a warning, and the secret itself is never printed.
      const r = await aviso(['--profile', 'maria', '--json', 'join', '--code-file', secretFile('damaged', damaged, 0o644), '--name', 'Maria']);
      expect(r.code).toBe(1);
      expect(await tokens()).toBe(before); // no use of the token was spent
      expect(['INVALID_INVITE', 'INVITE_EXPIRED']).toContain(lastJson(r)['code']);
      expect(r.stderr).toContain('chmod 600');
      expect(r.stdout + r.stderr).not.toContain(damaged.slice(-40));
    }
    const after = await aviso(['--profile', 'maria', '--json', 'groups']);
    expect(lastJson(after)['code']).toBe('NOT_REGISTERED');
  });

  test('a code wrapped over lines joins, from a file and from standard input', { timeout: 120_000 }, async () => {
    const fromFile = await aviso(['--profile', 'ana', 'join', '--code-file', secretFile('wrapped', wrapped(invite)), '--name', 'Ana']);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stderr).not.toContain('chmod');
    expect(await tokens()).toContain('uses-left=2');
    // The decomposed name is stored (and shown to the group) in its one composed form.
    const fromStdin = await aviso(['--profile', 'jose', '--json', 'join', '--code-file', '-', '--name', DECOMPOSED], {}, wrapped(invite));
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect(lastJson(fromStdin)).toMatchObject({ type: 'joined', status: 'member' });
    expect(fromStdin.stdout + fromStdin.stderr).not.toContain(invite.slice(-40));
  });

  test("the app's paste box takes a wrapped link too (through the member host)", { timeout: 120_000 }, async () => {
    const host = new MemberHost({ command: 'app' });
    const profile = profileFor('lupe', { AVISO_HOME: home });
    try {
      const api = new AppApi(await host.client(profile), profile, async () => undefined);
      expect(await api.join({ invite: wrapped(invite), displayName: 'Lupe' })).toMatchObject({ type: 'joined', status: 'member' });
    } finally {
      await host.closeAll();
    }
  });

  test('the code once as an argument and once from a file is refused as a usage error', async () => {
    const r = await aviso(['--profile', 'nadie', 'join', invite, '--code-file', '-', '--name', 'X'], {}, invite);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--code-file');
    const none = await aviso(['--profile', 'nadie', 'join', '--name', 'X'], { AVISO_LANG: 'es' });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('`aviso join` necesita el código o enlace de invitación');
  });
});

describe('names typed with decomposed accents', () => {
  test('a group title is stored composed and found either way', async () => {
    const groups = (await ok('groups', '--json')).trim().split('\n').map((l) => JSON.parse(l) as { title: string });
    expect(groups.map((g) => g.title)).toEqual(['Peña']);
    expect(JSON.parse(await ok('members', 'Pen\u0303a', '--json').then((s) => s.trim().split('\n')[0]!))).toMatchObject({ type: 'member' });
  });

  test('a member who joined with a decomposed name is shown composed and found by either form', async () => {
    const members = (await ok('members', 'Peña', '--json')).trim().split('\n').map((l) => JSON.parse(l) as { accountId: string; displayName: string });
    const jose = members.find((m) => m.displayName === COMPOSED);
    expect(jose).toBeDefined();
    for (const typed of [DECOMPOSED, COMPOSED]) {
      expect(JSON.parse(await ok('verify', typed, '--json'))).toMatchObject({ accountId: jose!.accountId });
    }
  });
});

describe('a profile held by another short command', () => {
  /** A lock as a running `aviso alerts` leaves it: its pid (a live process here) and its command. */
  function holdLock(profile: string): { release(): void } {
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    const path = join(home, 'profiles', profile, 'lock');
    writeFileSync(path, JSON.stringify({ pid: holder.pid, command: 'alerts' }));
    return {
      release() {
        rmSync(path, { force: true });
        holder.kill();
      },
    };
  }

  test('waits for it a bounded time, saying so, then fails with PROFILE_BUSY', async () => {
    const lock = holdLock('ana');
    try {
      const r = await aviso(['--profile', 'ana', '--json', 'alerts'], { AVISO_LOCK_WAIT: '0.5' });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/waiting for `aviso alerts` \(pid \d+\) to finish with profile "ana"/);
      expect(lastJson(r)).toMatchObject({ type: 'error', code: 'PROFILE_BUSY' });
    } finally {
      lock.release();
    }
  });

  test('runs as soon as the other command has finished', { timeout: 60_000 }, async () => {
    const lock = holdLock('ana');
    const child = spawn(process.execPath, [...CLI, '--profile', 'ana', 'alerts'], { cwd: REPO_ROOT, env: { ...process.env, AVISO_HOME: home, AVISO_LOCK_WAIT: '60' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes('waiting for')) resolve();
      }),
    );
    lock.release(); // the other command finished
    expect(await exited).toBe(0);
  });
});

describe('the relay goes away', () => {
  let alertId: string;

  test('`alerts` shows what the store holds, marked as possibly out of date', { timeout: 120_000 }, async () => {
    alertId = (await ok('alert', 'Peña', '--kind', 'raid', '--severity', 'urgent', '--title', 'Vans', '--place', 'Gate')).trim();
    expect(await ok('--profile', 'jose', 'alerts')).toContain(alertId.slice(0, 8)); // delivered while up
    await relay.stop();
    const human = await aviso(['--profile', 'jose', 'alerts']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(alertId.slice(0, 8));
    expect(human.stderr).toContain('may be out of date');
    const json = await aviso(['--profile', 'jose', '--json', 'alerts']);
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ type: 'offline', code: 'RELAY_DOWN', relayUrl: relay.url });
    expect(lines[1]).toMatchObject({ type: 'alert', id: alertId });
  });

  test('`listen` waits for it with the state on each line, and connects once it is back', { timeout: 180_000 }, async () => {
    const piped = new BackgroundAviso(home, ['--profile', 'ana', 'listen'], FAST_RETRY);
    try {
      await piped.waitFor(/offline: cannot reach the relay .* — retrying in \d+ s \(Ctrl-C to stop\)\n.*offline:/, 'two offline lines');
      await relay.start();
      await piped.waitFor(/connected to the relay at /, 'the connected line');
      await piped.waitFor(/listening \(caught up\)/, 'ready');
    } finally {
      expect(await piped.interrupt()).toBe(0);
    }
  });

  test('Ctrl-C stops a listen that is waiting for the relay at once', { timeout: 120_000 }, async () => {
    await relay.stop();
    // Long waits between attempts: Ctrl-C must not wait for the next one.
    const listener = new BackgroundAviso(home, ['--profile', 'ana', '--json', 'listen'], { AVISO_LISTEN_RETRY: '600,600' });
    try {
      await listener.waitFor(/"type":"offline"/, 'the offline object');
      const offline = listener.stdout.split('\n').map((l) => (l ? (JSON.parse(l) as Record<string, unknown>) : undefined)).find((e) => e?.['type'] === 'offline');
      expect(offline).toMatchObject({ code: 'RELAY_DOWN', relayUrl: relay.url });
      expect(offline!['retryInSeconds']).toBeGreaterThanOrEqual(480); // 600 s less at most a fifth
    } finally {
      expect(await listener.interrupt()).toBe(0);
    }
    expect(listener.stdout.trim().split('\n').at(-1)).toBe('{"type":"closed"}');
  });

  test('the board shows the wait, counts down, then shows it connected', { timeout: 180_000 }, async () => {
    const board = new OnTerminal(home, ['--profile', 'ana', 'listen'], 80, { AVISO_LISTEN_RETRY: '3,3' });
    try {
      await board.waitFor(/offline, retrying in 3 s/, 'the offline board');
      await board.waitFor(/offline, retrying in 2 s/, 'the countdown');
      const frame = lastFrame(board.output);
      expect(frame[0]).toMatch(/^aviso listen — profile "ana" — offline, retrying in 2 s/);
      expect(frame.join('\n')).toContain(`cannot reach the relay at ${relay.url}`);
      await relay.start();
      await board.waitFor(/profile "ana" — connected —/, 'the connected board');
    } finally {
      expect(await board.stop()).toBe(0);
    }
  });
});
