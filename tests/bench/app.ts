import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { AvisoClient } from '@aviso/client';
import { REPO_ROOT, RelayProcess } from '../support/relay.js';
import { AppProcess, buildApp } from '../support/app-process.js';
import { launchBrowser } from '../support/app-browser.js';
import { CLI, runAviso } from '../support/cli-process.js';
import { BENCH_RELAY_ENV } from './support/proc.js';
import { addSection, benchCommand, mdTable, met } from './support/report.js';
import { bytes, ms, percentile } from './support/stats.js';

/**
 * The app (issue 13), three figures from one run against a real relay process:
 * 1. latency: an organiser's alert → visible in the member's DOM (a real `aviso app` and headless
 *    chromium), next to the same alert's `alert` event in an SDK client in this process (the SDK's
 *    own time), both from the moment the organiser's sendAlert starts, so the sender's encryption
 *    and upload and the relay's fan-out count the same on both sides; the difference is what the
 *    app adds (member host, live feed, WebSocket, GET /api/alerts, Preact render). Target: at most
 *    100 ms at p99.
 * 2. start: `aviso app` spawned → its ready line, next to `aviso help` (the same CLI through the same
 *    loader, opening nothing); then navigation → first contentful paint, next to a one-line static
 *    page served by node:http in this process.
 * 3. JS shipped: packages/app/dist, gzip -9. Target: at most 150 KiB.
 */
export interface AppBenchOptions {
  alerts: number;
  starts: number;
  argv: string[];
}

export function parseAppArgs(argv: string[]): AppBenchOptions {
  const { values } = parseArgs({ args: argv, strict: false, options: { 'app-alerts': { type: 'string' }, 'app-starts': { type: 'string' } } });
  const int = (name: string, raw: unknown, fallback: number, min: number, max: number) => {
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`--${name} must be a whole number in ${min}–${max}, got ${String(raw)}`);
    return n;
  };
  return { alerts: int('app-alerts', values['app-alerts'], 50, 5, 1000), starts: int('app-starts', values['app-starts'], 3, 1, 20), argv };
}

function flags(o: AppBenchOptions): string[] {
  return ['--only', 'app', ...(o.alerts === 50 ? [] : ['--app-alerts', String(o.alerts)]), ...(o.starts === 3 ? [] : ['--app-starts', String(o.starts)])];
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one machine. */
const now = () => performance.timeOrigin + performance.now();

const APP_TARGET_MS = 100;
const JS_TARGET_BYTES = 150 * 1024;

export async function benchApp(o: AppBenchOptions): Promise<void> {
  log(`\n## The app: alert → DOM latency (${o.alerts} alerts), start → first paint, JS shipped`);
  await buildApp();
  const shipped = shippedSize(join(REPO_ROOT, 'packages', 'app', 'dist'));
  log(`  JS shipped: ${bytes(shipped.js)} gzip (${bytes(shipped.jsRaw)} raw); CSS ${bytes(shipped.css)} gzip`);

  const relay = await RelayProcess.start({ env: BENCH_RELAY_ENV });
  const dirs: string[] = [];
  const tmp = (name: string) => {
    const d = mkdtempSync(join(tmpdir(), `aviso-bench-app-${name}-`));
    dirs.push(d);
    return d;
  };
  const clients: AvisoClient[] = [];
  let browser: Browser | undefined;
  let app: AppProcess | undefined;
  try {
    const rosa = await AvisoClient.open({ dataDir: tmp('rosa') });
    clients.push(rosa);
    await rosa.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
    const group = await rosa.createGroup({ title: 'Bench', displayName: 'Rosa' });
    const invite = await group.createInvite({ expiresInSeconds: 3600, maxUses: 3, requireApproval: false });
    await rosa.connect();

    const sdk = await AvisoClient.open({ dataDir: tmp('sdk-member') });
    clients.push(sdk);
    await sdk.join(invite, { displayName: 'Ana' });
    await sdk.connect();

    const home = tmp('app-member');
    const joined = await runAviso(home, ['join', invite, '--name', 'Lupe']);
    if (joined.code !== 0) throw new Error(`aviso join failed: ${joined.stderr}`);

    browser = await launchBrowser();
    log(`Start: ${o.starts} × (aviso help, aviso app → ready line, first paint; a static page's first paint) …`);
    const starts: Array<{ help: number; app: number; fcp: number; staticFcp: number }> = [];
    let page: Page | undefined; // the last start's page: the launch token works once, so it stays for the latency run
    const plain = await staticPage();
    try {
      for (let i = 0; i < o.starts; i++) {
        const help = await timeProcess(['help']);
        const t0 = now();
        const started = await AppProcess.start([], home);
        const appMs = now() - t0;
        const last = i === o.starts - 1;
        const painted = await firstPaint(browser, started.url, last);
        const fcp = painted.fcp;
        if (last) page = painted.page;
        const staticFcp = (await firstPaint(browser, plain.url, false)).fcp;
        starts.push({ help, app: appMs, fcp, staticFcp });
        log(`  aviso help ${ms(help)}; aviso app ready ${ms(appMs)}; first paint ${ms(fcp)} (static page ${ms(staticFcp)})`);
        if (i < o.starts - 1) await started.stop();
        else app = started;
      }
    } finally {
      await plain.close();
    }

    log(`Latency: ${o.alerts} alerts, one at a time, to the app in chromium and to an SDK client …`);
    if (!page) throw new Error('no page');
    await page.getByRole('button', { name: 'Español' }).click();
    await page.getByRole('heading', { name: 'Alertas' }).waitFor({ timeout: 60_000 });
    await group.sync(); // the organiser sends to the members it knows: both joined after it connected
    if ((await group.members()).length !== 3) throw new Error('the group does not have its three members');
    const seenInDom = await watchTitles(page);
    const samples: Array<{ sdk: number; app: number }> = [];
    for (let i = 0; i < o.alerts + 2; i++) {
      const title = `Bench ${i} ${Math.random().toString(36).slice(2, 8)}`;
      const sdkSeen = new Promise<number>((resolve) => {
        const on = (a: { title: string }) => {
          if (a.title !== title) return;
          sdk.off('alert', on);
          resolve(now());
        };
        sdk.on('alert', on);
      });
      const domSeen = seenInDom(title);
      const t0 = now();
      await group.sendAlert({ kind: 'raid', severity: 'urgent', title, place: 'Rosecrans y Alameda', requestAck: false });
      const [tSdk, tDom] = await Promise.all([within(sdkSeen, 30_000, 'the SDK event'), within(domSeen, 30_000, 'the DOM')]);
      if (i >= 2) samples.push({ sdk: tSdk - t0, app: tDom - t0 }); // two warm-up alerts
    }
    await page.close();
    const sdkMs = samples.map((s) => s.sdk);
    const appMs = samples.map((s) => s.app);
    const added = samples.map((s) => s.app - s.sdk);
    log(`  SDK event p50 ${ms(percentile(sdkMs, 50))} p99 ${ms(percentile(sdkMs, 99))}; app DOM p50 ${ms(percentile(appMs, 50))} p99 ${ms(percentile(appMs, 99))}; app adds p50 ${ms(percentile(added, 50))} p99 ${ms(percentile(added, 99))}`);
    report(o, { shipped, starts, sdkMs, appMs, added });
  } finally {
    await browser?.close();
    await app?.dispose();
    for (const c of clients) await c.close().catch(() => undefined);
    await relay.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** Resolves with the wall time a card with the title first appears in the page's board. */
async function watchTitles(page: Page): Promise<(title: string) => Promise<number>> {
  const waiting = new Map<string, (at: number) => void>();
  const early = new Map<string, number>();
  await page.exposeFunction('__avisoBenchSeen', (title: string, at: number) => {
    const done = waiting.get(title);
    if (done) done(at);
    else early.set(title, at);
  });
  // Through the DevTools protocol, so the app's CSP (no injected script) stays as it ships.
  await page.evaluate(() => {
    const g = globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<{ textContent: string | null }>; body: unknown }; MutationObserver: new (cb: () => void) => { observe(n: unknown, o: object): void }; __avisoBenchSeen(t: string, at: number): void };
    const reported = new Set<string>();
    new g.MutationObserver(() => {
      const at = performance.timeOrigin + performance.now();
      for (const el of g.document.querySelectorAll('.alerts li .title')) {
        const t = el.textContent ?? '';
        if (!reported.has(t)) {
          reported.add(t);
          g.__avisoBenchSeen(t, at);
        }
      }
    }).observe(g.document.body, { childList: true, subtree: true, characterData: true });
  });
  return (title) =>
    new Promise<number>((resolve) => {
      const at = early.get(title);
      if (at !== undefined) resolve(at);
      else waiting.set(title, resolve);
    });
}

function within<T>(p: Promise<T>, limit: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${limit} ms`)), limit).unref())]);
}

/** Navigation start → first-contentful-paint of a fresh page (its own context: no cookie, no cache); `keep` leaves the page open. */
async function firstPaint(browser: Browser, url: string, keep: boolean): Promise<{ fcp: number; page?: Page }> {
  const context = await browser.newContext({ locale: 'es-MX', viewport: { width: 360, height: 780 } });
  let kept = false;
  try {
    const page = await context.newPage();
    await page.goto(url);
    const fcp = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const found = performance.getEntriesByName('first-contentful-paint')[0];
          if (found) return resolve(found.startTime);
          new PerformanceObserver((list) => resolve(list.getEntries()[0]!.startTime)).observe({ type: 'paint' as never, buffered: true });
        }),
    );
    kept = keep;
    return keep ? { fcp, page } : { fcp };
  } finally {
    if (!kept) await context.close();
  }
}

/** The baseline page: one line of text, no script, served by node:http in this process. */
async function staticPage(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="es"><title>Aviso</title><p>Aviso</p></html>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

/** Wall time of one CLI process from spawn to exit. */
function timeProcess(args: string[]): Promise<number> {
  const t0 = now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, AVISO_HOME: mkdtempSync(join(tmpdir(), 'aviso-bench-help-')) }, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve(now() - t0));
  });
}

function shippedSize(dist: string): { js: number; jsRaw: number; css: number } {
  const out = { js: 0, jsRaw: 0, css: 0 };
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.js')) {
        const data = readFileSync(path);
        out.jsRaw += data.length;
        out.js += gzipSync(data, { level: 9 }).length;
      } else if (name.endsWith('.css')) out.css += gzipSync(readFileSync(path), { level: 9 }).length;
    }
  };
  walk(dist);
  return out;
}

function median(values: readonly number[]): number {
  return percentile(values, 50);
}

function report(
  o: AppBenchOptions,
  r: { shipped: { js: number; jsRaw: number; css: number }; starts: Array<{ help: number; app: number; fcp: number; staticFcp: number }>; sdkMs: number[]; appMs: number[]; added: number[] },
): void {
  const p = (v: number[], q: number) => ms(percentile(v, q));
  const help = median(r.starts.map((s) => s.help));
  const appStart = median(r.starts.map((s) => s.app));
  const fcp = median(r.starts.map((s) => s.fcp));
  const staticFcp = median(r.starts.map((s) => s.staticFcp));
  const addedP99 = percentile(r.added, 99);
  const half = Math.floor(r.added.length / 2);
  const [firstHalf, secondHalf] = [r.added.slice(0, half), r.added.slice(half)];
  const body = [
    `Alert → visible, ${r.added.length} alerts one at a time (after two warm-up alerts), each timed from the moment the organiser's \`sendAlert\` starts (so encryption, upload and the relay's fan-out count the same on both sides). "SDK event" is the \`alert\` event of an SDK client (SQLite store) in the bench process; "app DOM" is the card appearing in headless chromium, through a real \`aviso app\` (its own SDK client, live feed, WebSocket, \`GET /api/alerts\`, Preact). The same relay and alerts for both. With ${r.added.length} samples p99 is close to the maximum.`,
    '',
    mdTable(
      ['', 'p50', 'p99'],
      [
        ['SDK event', p(r.sdkMs, 50), p(r.sdkMs, 99)],
        ['app DOM', p(r.appMs, 50), p(r.appMs, 99)],
        ['app adds (per alert: DOM − SDK)', p(r.added, 50), p(r.added, 99)],
      ],
    ),
    '',
    `Target: the app adds at most ${APP_TARGET_MS} ms at p99: ${met(addedP99 <= APP_TARGET_MS)} (${ms(addedP99)}).`,
    '',
    `What the app adds, p50 over the first ${firstHalf.length} alerts ${ms(percentile(firstHalf, 50))}, over the last ${secondHalf.length} ${ms(percentile(secondHalf, 50))} (the board grows by one card per alert). The page puts a live \`alert\` event's card on the board at once (the event carries the alert, with the sender's role), then re-reads \`/api/alerts\` only (no profile, no groups); while the live feed is connected the host answers that from the feed's groups and people, without syncing each group with the relay. What is left: the member host's own receive (a second process decrypting on the same cores), the WebSocket hop and one Preact render.`,
    '',
    `Start, median of ${r.starts.length}: \`aviso app\` spawned → its ready line (the profile opened and connected to the relay) ${ms(appStart)}, next to \`aviso help\` spawned → exit ${ms(help)} (the same CLI and loader, opening nothing: ${(appStart / help).toFixed(2)}×). Navigation → first contentful paint ${ms(fcp)}, next to a one-line static page from node:http ${ms(staticFcp)} (${(fcp / staticFcp).toFixed(2)}×).`,
    '',
    `JS shipped (packages/app/dist, every .js, gzip -9): ${bytes(r.shipped.js)} (${bytes(r.shipped.jsRaw)} raw), CSS ${bytes(r.shipped.css)}. Target at most 150 KiB: ${met(r.shipped.js <= JS_TARGET_BYTES)}.`,
  ].join('\n');
  addSection({ title: 'The app: alert → DOM, start → first paint, JS shipped', command: benchCommand(flags(o)), body });
}
