import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { forward, serveControl } from '../src/control.js';
import { ensureProfileDir, profileFor } from '../src/profile.js';
import { memoryIo } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('handing commands to the process that holds the profile', () => {
  it('relays the output lines and the exit status, and reports nothing served once stopped', async () => {
    const home = mkdtempSync(join(tmpdir(), 'aviso-cli-'));
    dirs.push(home);
    const profile = profileFor('ana', { AVISO_HOME: home });
    ensureProfileDir(profile);
    const seen: string[][] = [];
    const stop = await serveControl(profile, {}, async (argv, io) => {
      seen.push(argv);
      io.out('{"type":"acked"}');
      io.err('aviso: a warning');
      return 3;
    });
    expect(stop).toBeDefined();

    const io = memoryIo();
    expect(await forward(profile, ['--profile', 'ana', 'ack', 'abcd', 'seen'], io)).toBe(3);
    expect(seen).toEqual([['--profile', 'ana', 'ack', 'abcd', 'seen']]);
    expect(io.stdout).toEqual(['{"type":"acked"}']);
    expect(io.stderr).toEqual(['aviso: a warning']);

    await stop!();
    expect(await forward(profile, ['groups'], memoryIo())).toBeUndefined();
  });
});
