import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLI, runAviso, type CliResult } from '../support/cli-process.js';
import { REPO_ROOT, RelayProcess } from '../support/relay.js';

let home: string;
let relay: RelayProcess;

const aviso = (...args: string[]): Promise<CliResult> => runAviso(home, args);

/** Runs a command that must succeed with --json; returns its JSON lines. */
async function json(...args: string[]): Promise<Array<Record<string, unknown>>> {
  const r = await aviso(...args, '--json');
  if (r.code !== 0) throw new Error(`aviso ${args.join(' ')} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  expect(r.stderr).toBe('');
  return lines(r.stdout);
}

function lines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A failing command: exactly one line on stderr, the given status, and the JSON error on stdout. */
async function fails(status: number, code: string, ...args: string[]): Promise<string> {
  const r = await aviso(...args, '--json');
  expect(r.code, r.stderr).toBe(status);
  const errLines = r.stderr.split('\n').filter((l) => l !== '');
  expect(errLines).toHaveLength(1);
  expect(errLines[0]).toMatch(/^aviso: /);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(lines(r.stdout)).toEqual([{ type: 'error', code, message: errLines[0]!.slice('aviso: '.length) }]);
  return errLines[0]!;
}

/** `aviso listen --json` in the background, with its events as they arrive. */
class Listener {
  readonly events: Array<Record<string, unknown>> = [];
  readonly child: ChildProcess;
  #buffer = '';
  #stderr = '';
  #waiters: Array<() => void> = [];

  constructor(...args: string[]) {
    this.child = spawn(process.execPath, [...CLI, 'listen', '--json', ...args], { cwd: REPO_ROOT, env: { ...process.env, AVISO_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (c: Buffer) => {
      this.#buffer += c.toString();
      const parts = this.#buffer.split('\n');
      this.#buffer = parts.pop()!;
      for (const l of parts) if (l.trim()) this.events.push(JSON.parse(l) as Record<string, unknown>);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.child.stderr!.on('data', (c: Buffer) => (this.#stderr += c.toString()));
  }

  /** Waits for an event matching `pred` (the process exiting first is a failure). */
  next(pred: (e: Record<string, unknown>) => boolean, what: string, ms = 120_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms; events: ${JSON.stringify(this.events)}\n${this.#stderr}`)), ms);
      const check = () => {
        const hit = this.events.find(pred);
        if (hit) {
          clearTimeout(timer);
          resolve(hit);
        } else if (this.child.exitCode !== null) {
          clearTimeout(timer);
          reject(new Error(`listen exited (${this.child.exitCode}) before ${what}:\n${this.#stderr}`));
        } else this.#waiters.push(check);
      };
      check();
    });
  }

  /** Ctrl-C: resolves with the exit status once the process closed. */
  async interrupt(): Promise<number | null> {
    const exited = new Promise<number | null>((r) => this.child.once('exit', (code) => r(code)));
    this.child.kill('SIGINT');
    return exited;
  }
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'aviso-cli-e2e-'));
  relay = await RelayProcess.start();
});

afterAll(async () => {
  await relay?.dispose();
  rmSync(home, { recursive: true, force: true });
});

describe('the aviso CLI against a real relay', () => {
  test('quick start: register, create a group, invite, join, alert, listen, acknowledge, see the count', { timeout: 600_000 }, async () => {
    const token = await relay.createToken();
    const [registered] = await json('register', relay.url, token, '--name', 'Rosa');
    expect(registered).toMatchObject({ type: 'registered', profile: 'default', deviceId: 1, relayUrl: relay.url });
    expect(registered!['accountId']).toMatch(/^[0-9a-f-]{36}$/);

    const [group] = await json('group', 'create', 'Eastside');
    expect(group).toMatchObject({ type: 'group', title: 'Eastside', status: 'member', role: 'admin', members: 1 });
    const groupId = String(group!['id']);

    const [invite] = await json('invite', 'Eastside', '--uses', '2', '--expires', '1h');
    expect(invite).toMatchObject({ type: 'invite', groupId, group: 'Eastside', uses: 2, approval: false });
    const code = String(invite!['code']);
    expect(code.startsWith(`${relay.url}/join#`)).toBe(true);

    // Without --json the invite also shows a QR code in the terminal.
    const human = await aviso('invite', groupId.slice(0, 6));
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${relay.url}/join#`);
    expect(human.stdout).toMatch(/[▀▄█]/);

    const [joined] = await json('--profile', 'ana', 'join', code, '--name', 'Ana');
    expect(joined).toMatchObject({ type: 'joined', profile: 'ana', groupId, group: 'Eastside', status: 'member' });
    const anaId = String(joined!['accountId']);

    const members = await json('members', 'Eastside');
    expect(members).toHaveLength(2);
    expect(members.map((m) => [m['displayName'], m['role'], m['you']])).toEqual(
      expect.arrayContaining([
        ['Rosa', 'admin', true],
        ['Ana', 'member', false],
      ]),
    );
    expect(members.find((m) => m['displayName'] === 'Ana')).toMatchObject({ accountId: anaId, invitedBy: registered!['accountId'] });

    const listener = new Listener('--profile', 'ana');
    let alertId: string;
    try {
      await listener.next((e) => e['type'] === 'ready', 'ready');
      const sent = await aviso('alert', 'Eastside', '--kind', 'raid', '--severity', 'critical', '--title', 'Agents at the car wash', '--place', '5th and Main', '--ack');
      expect(sent.code, sent.stderr).toBe(0);
      alertId = sent.stdout.trim(); // the id alone on stdout
      expect(alertId).toMatch(/^[0-9a-f-]{36}$/);

      const received = await listener.next((e) => e['type'] === 'alert' && e['id'] === alertId, 'the alert');
      expect(received).toMatchObject({ groupId, group: 'Eastside', fromName: 'Rosa', kind: 'raid', severity: 'critical', title: 'Agents at the car wash', place: '5th and Main', requestAck: true, retracted: false, acks: { seen: 0, onMyWay: 0 } });

      // While Ana listens, her other commands run inside the listening process (one client per profile).
      const [acked] = await json('--profile', 'ana', 'ack', alertId.slice(0, 8), 'on-my-way');
      expect(acked).toEqual({ type: 'acked', alertId, groupId, status: 'on-my-way' });
      // join is never handed over: it would register or prompt; it says the profile is busy.
      expect(await fails(1, 'PROFILE_BUSY', '--profile', 'ana', 'join', code, '--name', 'Ana')).toMatch(/^aviso: profile "ana" is in use by `aviso listen` \(pid \d+\) — stop it first/);
    } finally {
      expect(await listener.interrupt()).toBe(0); // clean close on Ctrl-C
    }
    expect(listener.events.at(-1)).toEqual({ type: 'closed' });

    const seen = await json('alerts', 'Eastside');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ type: 'alert', id: alertId, acks: { seen: 0, onMyWay: 1, onScene: 0, cannot: 0 } });

    // The organiser's live view gets the next answer as an event with the new counts.
    const organiser = new Listener();
    try {
      await organiser.next((e) => e['type'] === 'ready', 'ready');
      const [confirmed] = await json('--profile', 'ana', 'confirm', alertId.slice(0, 6), 'I', 'see', 'them', 'too');
      expect(confirmed).toMatchObject({ type: 'confirmed', alertId, note: 'I see them too' });
      const event = await organiser.next((e) => e['type'] === 'confirm', 'the confirm');
      expect(event).toMatchObject({ alertId, from: anaId, fromName: 'Ana', note: 'I see them too', acks: { onMyWay: 1, confirmed: 1 } });
    } finally {
      expect(await organiser.interrupt()).toBe(0);
    }

    // Nothing changed, so there is nothing to accept; the command still shows the safety number.
    const [accepted] = await json('accept', 'Ana');
    expect(accepted).toMatchObject({ type: 'identity-accepted', accountId: anaId, displayName: 'Ana', accepted: false });
    expect(String(accepted!['safetyNumber'])).toMatch(/^\d{60}$/);
  });

  test('every error a user can hit: one line on stderr, a non-zero status, a JSON error', { timeout: 600_000 }, async () => {
    const token = await relay.createToken();
    await json('--profile', 'errs', 'register', relay.url, token);
    await json('--profile', 'errs', 'group', 'create', 'Dup');
    await json('--profile', 'errs', 'group', 'create', 'Dup');
    await json('--profile', 'errs', 'group', 'create', 'Westside');

    expect(await fails(1, 'NOT_FOUND', '--profile', 'errs', 'members', 'Eastside')).toBe('aviso: no group named "Eastside" or with id "Eastside" — run `aviso groups` to list them');
    expect(await fails(1, 'AMBIGUOUS', '--profile', 'errs', 'invite', 'dup')).toMatch(/^aviso: "dup" matches 2 groups: "Dup" \([0-9a-f]{8}\), "Dup" \([0-9a-f]{8}\) — name one by its id$/);
    expect(await fails(1, 'NOT_FOUND', '--profile', 'errs', 'ack', 'ffffffff', 'seen')).toBe('aviso: no alert with id "ffffffff" — run `aviso alerts` to list them');
    expect(await fails(2, 'USAGE', '--profile', 'errs', 'invite', 'Westside', '--expires', 'soon')).toBe('aviso: --expires takes a duration like 30m, 4h or 7d (got "soon")');

    // A bad invite code: garbled, and a well-formed one whose invite has expired.
    expect(await fails(1, 'INVALID_INVITE', '--profile', 'newcomer', 'join', `${relay.url}/join#garbage`, '--name', 'N')).toMatch(/^aviso: that invite code does not work: /);
    const [invite] = await json('--profile', 'errs', 'invite', 'Westside', '--expires', '1s');
    const expiresAt = Number(invite!['expiresAt']); // as the group recorded it (the SDK rounds up to the minute)
    expect(expiresAt).toBeGreaterThan(Date.now() - 60_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 120_000);
    while (Date.now() <= expiresAt + 1000) await new Promise((r) => setTimeout(r, 250));
    expect(await fails(1, 'INVITE_EXPIRED', '--profile', 'late', 'join', String(invite!['code']), '--name', 'Late')).toBe(
      'aviso: the invite is expired, used up or revoked — ask the organiser for a new invite',
    );

    // A spent registration token.
    expect(await fails(1, 'INVALID_TOKEN', '--profile', 'again', 'register', relay.url, token)).toMatch(/refused the registration token/);

    // Relay down: a registered profile, and registering against a dead address.
    await relay.stop();
    try {
      expect(await fails(1, 'RELAY_DOWN', '--profile', 'errs', 'groups')).toBe(`aviso: cannot reach the relay at ${relay.url} — is it running and is the address right? try again later`);
      expect(await fails(1, 'RELAY_DOWN', '--profile', 'other', 'register', relay.url, 'some-token')).toMatch(/^aviso: cannot reach the relay at /);
    } finally {
      await relay.start();
    }
  });
});
