import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UnixSocketChannel, forward } from '../src/control/unix-socket.js';
import { ensureProfileDir, profileFor } from '../src/profile.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe.skipIf(process.platform === 'win32')('the Unix-socket control channel', () => {
  it('forwards a command to the process serving the profile, with its output in order and its status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aviso-agent-'));
    dirs.push(dir);
    const profile = profileFor('ana', { AVISO_HOME: dir });
    ensureProfileDir(profile);
    const channel = new UnixSocketChannel(profile);
    const seen: string[][] = [];
    expect(
      await channel.start(async (request) => {
        seen.push([...request.argv]);
        request.out('{"type":"acked"}');
        request.err('aviso: a warning');
        request.write('raw');
        request.out('second');
        return 4;
      }),
    ).toBe(true);

    const got: string[] = [];
    const output = { out: (l: string) => got.push(`out:${l}`), err: (l: string) => got.push(`err:${l}`), write: (t: string) => got.push(`write:${t}`) };
    expect(await forward(profile, ['ack', 'abcd', 'seen'], output)).toBe(4);
    expect(seen).toEqual([['ack', 'abcd', 'seen']]);
    expect(got).toEqual(['out:{"type":"acked"}', 'err:aviso: a warning', 'write:raw', 'out:second']);

    await channel.stop();
    expect(await forward(profile, ['groups'], output)).toBeUndefined();
  });
});
