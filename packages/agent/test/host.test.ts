import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AvisoClient, ClientClosedError } from '@aviso/client';
import { afterAll, describe, expect, it } from 'vitest';
import { MemberHost } from '../src/host.js';
import { profileFor } from '../src/profile.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aviso-agent-'));
  dirs.push(dir);
  return dir;
}

describe('the member host', () => {
  it('hands every caller the one client of a profile, and another for another profile', async () => {
    const env = { AVISO_HOME: home() };
    const host = new MemberHost({ command: 'test' });
    const ana = profileFor('ana', env);
    const [first, second] = await Promise.all([host.client(ana), host.client(ana)]);
    expect(second).toBe(first);
    expect(await host.client(ana)).toBe(first);
    const ben = await host.client(profileFor('ben', env));
    expect(ben).not.toBe(first);
    await host.closeAll();
  });

  it('closes the client once and releases the profile for the next opener', async () => {
    const env = { AVISO_HOME: home() };
    const ana = profileFor('ana', env);
    const host = new MemberHost({ command: 'test' });
    const client = await host.client(ana);
    expect(host.holds(ana)).toBe(true);

    await host.close(ana);
    await host.close(ana); // a second close has nothing left to do
    expect(host.holds(ana)).toBe(false);
    await expect(client.groups()).rejects.toBeInstanceOf(ClientClosedError);

    // The profile lock and the SDK's data-folder lock are both gone: anyone may open it now.
    const again = new MemberHost({ command: 'test' });
    const reopened = await again.client(ana);
    expect(reopened).not.toBe(client);
    await again.closeAll();
    const direct = await AvisoClient.open({ dataDir: ana.dir });
    await direct.close();
  });

  it('keeps a second host off a profile the first one holds', async () => {
    const env = { AVISO_HOME: home() };
    const ana = profileFor('ana', env);
    const host = new MemberHost({ command: 'listen' });
    await host.client(ana);
    const other = new MemberHost({ command: 'groups' });
    await expect(other.client(ana)).rejects.toMatchObject({ code: 'PROFILE_BUSY' });
    expect(other.holds(ana)).toBe(false);
    await host.closeAll();
    await expect(other.client(ana)).resolves.toBeInstanceOf(AvisoClient);
    await other.closeAll();
  });
});
