import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import { ClientPool } from '../support/clients.js';
import { RelayProcess } from '../support/relay.js';

/**
 * Issue 14, "Prometheus metrics": off unless AVISO_METRICS_PORT is set, on their own port, bound to
 * loopback unless AVISO_METRICS_HOST says otherwise, and free of account and group ids after real
 * members have registered, made a group and sent alerts through a real relay process.
 */

const METRICS = /^aviso relay metrics on (http:\/\/\S+)$/m;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function start(env: Record<string, string> = {}): Promise<RelayProcess> {
  const relay = await RelayProcess.start({ env });
  cleanups.push(() => relay.dispose());
  return relay;
}

/** The TCP addresses (`host:port`) process `pid` listens on, as the kernel reports them. */
function listeningAddresses(pid: number): string[] {
  const lines = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' }).split('\n');
  return lines.filter((l) => l.includes(`pid=${pid},`)).map((l) => l.trim().split(/\s+/)[3]!);
}

function metricsUrl(relay: RelayProcess): string {
  const url = METRICS.exec(relay.log)?.[1];
  if (url === undefined) throw new Error(`no metrics line:\n${relay.log}`);
  return url;
}

describe('Prometheus metrics', () => {
  test('off by default: the relay listens on its own port only', { timeout: 120_000 }, async () => {
    const relay = await start();
    expect(relay.log).not.toMatch(METRICS);
    expect(listeningAddresses(relay.pid!)).toEqual([`127.0.0.1:${new URL(relay.url).port}`]);
    // And the relay's own port does not serve them either.
    expect((await fetch(`${relay.url}/metrics`)).status).toBe(404);
  });

  test('AVISO_METRICS_PORT turns them on, on 127.0.0.1; AVISO_METRICS_HOST moves them', { timeout: 120_000 }, async () => {
    const relay = await start({ AVISO_METRICS_PORT: '0' });
    const url = new URL(metricsUrl(relay));
    expect(url.hostname).toBe('127.0.0.1');
    expect(listeningAddresses(relay.pid!).sort()).toEqual([`127.0.0.1:${new URL(relay.url).port}`, `127.0.0.1:${url.port}`].sort());
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const body = await res.text();
    for (const name of ['process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds', 'aviso_websocket_connections', 'aviso_queued_envelopes']) {
      expect(body).toContain(`# TYPE ${name} `);
    }
    expect((await fetch(new URL('/other', url))).status).toBe(404);

    // Another loopback address stands in for "another interface" (the test stays on this machine).
    const moved = await start({ AVISO_METRICS_PORT: '0', AVISO_METRICS_HOST: '127.0.0.2' });
    const movedUrl = new URL(metricsUrl(moved));
    expect(movedUrl.hostname).toBe('127.0.0.2');
    expect(listeningAddresses(moved.pid!)).toContain(`127.0.0.2:${movedUrl.port}`);
    expect((await fetch(movedUrl)).status).toBe(200);
  });

  test('after real traffic the scrape counts it, and holds no account id, group id or path', { timeout: 300_000 }, async () => {
    const relay = await start({ AVISO_METRICS_PORT: '0', AVISO_SEND_RATE_CAPACITY: '100000' });
    const url = metricsUrl(relay);
    const pool = new ClientPool();
    cleanups.push(() => pool.dispose());
    const admin = await pool.registered(relay, 'admin');
    const group = await admin.createGroup({ title: 'Eastside rapid response', displayName: 'Rosa' });
    const code = await group.createInvite({ expiresInSeconds: 3600, maxUses: 2, requireApproval: false });
    const members = [];
    for (let i = 0; i < 2; i++) {
      const client = await pool.open(pool.newDataDir(`m${i}`));
      members.push({ client, group: await client.join(code, { displayName: `member ${i}` }) });
    }
    await group.sync();
    await admin.connect();
    const seen: string[] = [];
    for (const m of members) {
      await m.group.sync();
      m.client.on('alert', (a) => seen.push(a.title));
      await m.client.connect();
    }
    await group.sendAlert({ kind: 'sighting', severity: 'urgent', title: 'ICE at 5th and Main', requestAck: false });
    const deadline = Date.now() + 60_000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(seen).toHaveLength(2);

    const body = await (await fetch(url)).text();
    // What the relay stores as ids, straight from its database, plus the SDK's own view of them.
    const db = new Database(join(relay.dataDir, 'aviso.sqlite'), { readonly: true });
    const accountIds = (db.prepare('SELECT id FROM accounts').all() as { id: string }[]).map((r) => r.id);
    const groupIds = (db.prepare('SELECT id FROM groups').all() as { id: string }[]).map((r) => r.id);
    db.close();
    expect(accountIds).toHaveLength(3);
    expect(groupIds).toHaveLength(1);
    for (const id of [...accountIds, ...groupIds, admin.accountId, group.id, ...members.map((m) => m.client.accountId)]) {
      expect(body).not.toContain(id);
      expect(body.toLowerCase()).not.toContain(id.toLowerCase());
    }
    // Route templates, not paths: every route label is a template or "unmatched".
    const routes = [...body.matchAll(/route="([^"]*)"/g)].map((m) => m[1]!);
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) expect(route === 'unmatched' || route.startsWith('/')).toBe(true);
    const value = (line: RegExp) => Number(line.exec(body)?.[1] ?? NaN);
    expect(value(/^aviso_envelopes_queued_total (\d+)$/m)).toBeGreaterThanOrEqual(2);
    expect(value(/^aviso_websocket_connections (\d+)$/m)).toBe(3);
    expect(value(/^aviso_accounts (\d+)$/m)).toBe(3);
    expect(value(/^aviso_groups (\d+)$/m)).toBe(1);
    expect(body).toMatch(/^aviso_http_requests_total\{method="PUT",route="\/v1\/groups\/[^"]*",status="2\d\d"\} \d+$/m);
    // Only label names from the fixed set.
    const labels = new Set([...body.matchAll(/[{,]([a-z_]+)="/g)].map((m) => m[1]));
    for (const label of labels) expect(['method', 'route', 'status', 'limit', 'le', 'version', 'major', 'minor', 'patch', 'space', 'kind', 'type', 'quantile']).toContain(label);
  });
});
