import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { AppLock } from '../src/app/lock.js';
import { AppServer } from '../src/app/server.js';
import { lockProfile, profileFor } from '../src/profile.js';
import { protectProfile } from '../src/protect.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// The app server over a real AppLock on a real protected profile: the idle lock reaches the page.
describe('the app server on a locked profile', () => {
  it('after the idle time closes the client, frees the profile and tells the live socket {type:"locked"}', { timeout: 30_000 }, async () => {
    const home = mkdtempSync(join(tmpdir(), 'aviso-lock-server-'));
    dirs.push(home);
    const profile = profileFor('ana', { AVISO_HOME: home });
    await protectProfile(profile, 'app passphrase');
    const lock = new AppLock({ profile, idleMs: 3000 });
    const server = new AppServer({ lock, profile, staticDir: undefined, port: 0, describe: () => ({ code: 'X', message: 'x' }), explain: (err) => ({ code: (err as { code?: string }).code ?? 'INTERNAL', message: String(err) }), onFatal: () => undefined });
    await server.start();
    try {
      const origin = `http://127.0.0.1:${server.port}`;
      const session = await fetch(`${origin}/api/session`, { method: 'POST', headers: { Origin: origin, 'Content-Type': 'application/json' }, body: JSON.stringify({ token: server.token }) });
      const cookie = session.headers.get('set-cookie')!.split(';')[0]!;
      const post = (path: string, body: unknown) => fetch(`${origin}${path}`, { method: 'POST', headers: { Cookie: cookie, Origin: origin, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      expect((await post('/api/unlock', { passphrase: 'app passphrase' })).status).toBe(200);
      expect(lock.state).toBe('unlocked');
      const events: string[] = [];
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/live`, ['aviso.app.v1'], { headers: { Cookie: cookie, Origin: origin } });
      const locked = new Promise<void>((resolve) => ws.on('message', (m) => (events.push((JSON.parse(String(m)) as { type: string }).type), events.includes('locked') && resolve())));
      await locked;
      expect(events[0]).toBe('hello'); // unlocked when the socket opened; 'locked' came from the idle time
      expect(lock.state).toBe('locked');
      lockProfile(profile, 'other')(); // the profile lock is free again
      const groups = await fetch(`${origin}/api/groups`, { headers: { Cookie: cookie } });
      expect(groups.status).toBe(423);
      ws.close();
    } finally {
      await server.stop();
    }
  });
});
