import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BackgroundAviso, runAviso, type CliResult } from '../support/cli-process.js';
import { RelayProcess } from '../support/relay.js';
import { OnTerminal } from '../support/terminal.js';

// What members hit in the CLI (issue 14): real CLI processes, a real relay; the board on a real
// pseudo-terminal (util-linux `script`) sized to 80 columns.

let home: string;
let relay: RelayProcess;

const aviso = (...args: string[]): Promise<CliResult> => runAviso(home, args);

async function ok(...args: string[]): Promise<string> {
  const r = await aviso(...args);
  if (r.code !== 0) throw new Error(`aviso ${args.join(' ')} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** The last full frame the board drew (after its last clear-screen), lines without the escapes we send. */
function lastFrame(output: string): string[] {
  const frames = output.split('\x1b[2J');
  // eslint-disable-next-line no-control-regex
  return frames.at(-1)!.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replaceAll('\x07', '').split(/\r?\n/);
}

/** Terminal columns of the text this test sends: emoji take two, isolates and combining marks none. */
function columns(line: string): number {
  let n = 0;
  for (const ch of line) n += /\p{Extended_Pictographic}/u.test(ch) ? 2 : ['\u2068', '\u2069', '\ufe0f'].includes(ch) || /\p{M}/u.test(ch) ? 0 : 1;
  return n;
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'aviso-cli-member-'));
  relay = await RelayProcess.start();
  await ok('register', relay.url, await relay.createToken(), '--name', 'Rosa');
  await ok('group', 'create', 'Eastside');
  const invite = JSON.parse(await ok('invite', 'Eastside', '--uses', '5', '--json')).code as string;
  await ok('--profile', 'ana', 'join', invite, '--name', 'Ana');
  await ok('--profile', 'luis', 'join', invite, '--name', 'Luis');
}, 300_000);

afterAll(async () => {
  await relay?.dispose();
  rmSync(home, { recursive: true, force: true });
});

describe('the alert body', () => {
  test('shows in `aviso alerts`, in piped `listen` and on the board, as safe text', { timeout: 300_000 }, async () => {
    const piped = new BackgroundAviso(home, ['--profile', 'ana', 'listen']);
    const board = new OnTerminal(home, ['--profile', 'luis', 'listen'], 100);
    try {
      await piped.waitFor(/listening \(caught up\)/, 'ready');
      await board.waitFor(/no alerts yet/, 'the empty board');
      const body = 'Two white vans\nby the east gate \x1b[2J\x1b]0;pwned\x07 שלום';
      const id = (await ok('alert', 'Eastside', '--kind', 'raid', '--severity', 'urgent', '--title', 'Vans', '--place', 'Gate', '--body', body)).trim();

      const listed = (await ok('--profile', 'ana', 'alerts')).split('\n');
      const at = listed.findIndex((l) => l.startsWith(id.slice(0, 8)));
      expect(listed[at + 1]).toBe('          Two white vans');
      expect(listed[at + 2]).toBe('          \u2068by the east gate  שלום\u2069'); // escapes gone, RTL isolated
      expect(listed.join('\n')).not.toContain('\x1b');

      await piped.waitFor(/ALERT URGENT Raid: Vans/, 'the alert line');
      const line = piped.stdout.split('\n').find((l) => l.includes('ALERT URGENT Raid: Vans'))!;
      expect(line).toContain(`[${id.slice(0, 8)}] · \u2068Two white vans\u21B5by the east gate  שלום\u2069`);
      expect(line).not.toContain('\x1b');

      await board.waitFor(/Two white vans/, 'the body on the board');
      const frame = lastFrame(board.output);
      expect(frame.find((l) => l.includes('Two white vans'))).toBe('         \u2068Two white vans\u21B5by the east gate  שלום\u2069');
      expect(frame.join('\n')).not.toContain('pwned');
    } finally {
      await piped.interrupt();
      await board.stop();
    }
  });
});

describe('the board at 80 columns', () => {
  test('keeps the id ack needs, counts emoji as two columns, and marks a critical alert with colour and a bell', { timeout: 300_000 }, async () => {
    const coloured = new OnTerminal(home, ['--profile', 'luis', 'listen'], 80, { NO_COLOR: undefined });
    try {
      await coloured.waitFor(/current alert/, 'the board');
      const title = '🚨🚨🚨🚨🚨 Agents and vans at the car wash on Cesar Chavez, more coming from the 5';
      const id = (await ok('alert', 'Eastside', '--kind', 'raid', '--severity', 'critical', '--title', title, '--place', 'Cesar Chavez Avenue and North Soto Street, by the laundromat')).trim();
      await coloured.waitFor(new RegExp(`id ${id.slice(0, 8)}`), 'the id on the board');
      const frame = lastFrame(coloured.output).filter((l) => l !== '');
      for (const l of frame) expect(columns(l), l).toBeLessThanOrEqual(80);
      expect(frame.some((l) => l.startsWith('CRITICAL Raid        🚨🚨'))).toBe(true);
      expect(coloured.output).toContain('\x1b[1;31mCRITICAL Raid');
      expect(coloured.output).toContain('\x07');
    } finally {
      await coloured.stop();
    }

    const plain = new OnTerminal(home, ['--profile', 'luis', 'listen'], 80, { NO_COLOR: '1' });
    try {
      await plain.waitFor(/CRITICAL Raid/, 'the board');
      expect(plain.output).not.toContain('\x1b[1;31m');
    } finally {
      await plain.stop();
    }

    // Not a terminal: no colour, no bell, one plain line per event.
    const piped = new BackgroundAviso(home, ['--profile', 'ana', 'listen']);
    try {
      await piped.waitFor(/ALERT CRITICAL Raid/, 'the piped alert');
      expect(piped.stdout).not.toContain('\x07');
      expect(piped.stdout).not.toContain('\x1b');
    } finally {
      await piped.interrupt();
    }
  });
});

describe('the invite QR code', () => {
  test('fits an 80-column terminal', { timeout: 300_000 }, async () => {
    const out = (await ok('invite', 'Eastside')).split('\n');
    // eslint-disable-next-line no-control-regex
    const drawn = out.map((l) => l.replace(/\x1b\[[0-9;]*m/g, '')).filter((l) => /[▀▄█]/.test(l));
    expect(drawn.length).toBeGreaterThan(10);
    const widest = Math.max(...drawn.map((l) => [...l].length));
    console.log(`invite QR: ${widest} columns, ${drawn.length} lines; code ${out[1]!.length} characters`);
    expect(widest).toBeLessThanOrEqual(80);
  });
});
