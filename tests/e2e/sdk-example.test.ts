import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { REPO_ROOT, RelayProcess } from '../support/relay.js';

/**
 * docs/sdk.md shows examples/quick-start.ts verbatim, and this file runs that program as its own
 * process against a real relay process, so the documented example cannot rot.
 */
const EXAMPLE = 'examples/quick-start.ts';
const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the example the way its header says to, with the given arguments. */
async function runExample(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--conditions=@aviso/source', '--import', 'tsx', EXAMPLE, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, AVISO_RELAY_URL: '', AVISO_TOKEN: '', ...env },
      timeout: 150_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err; // killed by the timeout, or could not start
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';

describe('the SDK quick start (examples/quick-start.ts)', () => {
  let relay: RelayProcess | undefined;
  beforeEach(async (ctx) => {
    const started = await RelayProcess.start();
    relay = started;
    ctx.onTestFailed(() => console.error(`--- relay log (${started.dataDir}) ---\n${started.log}`));
  });
  afterEach(async () => {
    await relay?.dispose();
    relay = undefined;
  });

  test('registers, creates a group, joins by invite, delivers an alert and its acknowledgement, takes the roll call', { timeout: 240_000 }, async () => {
    const token = await relay!.createToken();
    const out = await runExample([relay!.url, token]);
    expect(out, out.stderr).toMatchObject({ code: 0, stderr: '' });
    const lines = out.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    const [registered, joined, alert, ack, roll] = lines as [string, string, string, string, string];
    const alice = new RegExp(`^alice registered as (${UUID})$`).exec(registered)?.[1];
    const bob = new RegExp(`^bob registered as (${UUID}) and joined "Eastside responders" as member$`).exec(joined)?.[1];
    expect(alice, registered).toBeDefined();
    expect(bob, joined).toBeDefined();
    expect(bob).not.toBe(alice);
    expect(alert).toBe('bob received alert "Agents at the car wash" (raid, critical) at 5th and Main from alice');
    expect(ack).toBe('alice received "on-my-way" from bob');
    expect(roll).toBe('roll call: 1 on the way, 0 on scene, 0 seen, 0 cannot');
  });

  test('takes the relay and token from the environment too, and fails (exit 1) on a spent token', { timeout: 300_000 }, async () => {
    const token = await relay!.createToken(1);
    const first = await runExample([], { AVISO_RELAY_URL: relay!.url, AVISO_TOKEN: token });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('roll call: 1 on the way');
    const spent = await runExample([relay!.url, token]);
    expect(spent.code).toBe(1);
    expect(spent.stdout).toBe('');
    expect(spent.stderr).toContain('INVALID_TOKEN');
  });
});

test('without a relay URL and token it prints its usage and exits 2', { timeout: 120_000 }, async () => {
  const out = await runExample([]);
  expect(out).toMatchObject({ code: 2, stdout: '' });
  expect(out.stderr).toContain('usage: quick-start.ts <relay-url> <registration-token>');
});

test('docs/sdk.md shows examples/quick-start.ts verbatim', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs/sdk.md'), 'utf8');
  const block = /<!-- example: examples\/quick-start\.ts -->\n```ts\n([\s\S]*?)```\n/.exec(doc)?.[1];
  expect(block, 'docs/sdk.md has no code block marked <!-- example: examples/quick-start.ts -->').toBeDefined();
  expect(block).toBe(readFileSync(join(REPO_ROOT, EXAMPLE), 'utf8'));
});
