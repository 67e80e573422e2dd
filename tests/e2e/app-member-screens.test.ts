/**
 * The member screens of the app (issue 13) end to end: a real relay process, a real `aviso app`, real
 * headless Debian chromium, and an organiser as a real SDK client in this process. Each screen in
 * Spanish and English: axe-core, screenshots at 360 and 1280 px, no sideways overflow at 360 px and at
 * 200 % zoom, touch targets of 44 px, and no word that bypasses the catalog; then notifications, the
 * tab title, safety numbers, settings, history, the member's own answer in the roll call, the keyboard.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AvisoClient, Group } from '@aviso/client';
import { t, type Lang, type MessageKey, type Params } from '@aviso/i18n';
import { AppProcess, buildApp } from '../support/app-process.js';
import { axeProblems, launchBrowser, shot } from '../support/app-browser.js';
import { focusedHeight, overflowing, ownTexts, smallTargets, tabTo } from '../support/app-layout.js';
import { ClientPool, nextEvent } from '../support/clients.js';
import { RelayProcess } from '../support/relay.js';

// Long words from a hostile or careless sender: the card must wrap them, not widen the page.
const LONG_TITLE = `Redada${'A'.repeat(134)}`;
const LONG_PLACE = `Rosecrans${'y'.repeat(190)}`;

// What the page constructs, recorded by a script the browser runs before the app (the app does not
// know): each Notification's arguments and each oscillator started (the alert tone).
const HOOK = `(() => {
  const seen = { notes: [], tones: 0 };
  Object.defineProperty(window, '__seen', { value: seen });
  const Real = window.Notification;
  if (Real) window.Notification = new Proxy(Real, { construct(target, args) {
    seen.notes.push({ title: String(args[0]), options: JSON.stringify(args[1] ?? {}) });
    try { return Reflect.construct(target, args); } catch { return new EventTarget(); }
  } });
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...a) { seen.tones++; return start.apply(this, a); };
})();`;

interface Seen {
  notes: { title: string; options: string }[];
  tones: number;
}

let relay: RelayProcess;
let app: AppProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pool = new ClientPool();
let rosa: AvisoClient;
let group: Group;
let urgentId: string;
let infoId: string;

const seen = (): Promise<Seen> => page.evaluate(() => (globalThis as unknown as { __seen: Seen }).__seen);
const tr = (lang: Lang, key: MessageKey, params?: Params): string => t(lang, key, params);
const navTo = async (lang: Lang, key: MessageKey): Promise<void> => {
  await page.getByRole('navigation').getByRole('button', { name: tr(lang, key), exact: true }).click();
};

beforeAll(async () => {
  await buildApp();
  relay = await RelayProcess.start();
  rosa = await pool.registered(relay, 'rosa');
  group = await rosa.createGroup({ title: 'Red de Compton', displayName: 'Rosa' });
  const invite = await group.createInvite({ expiresInSeconds: 3600, maxUses: 1, requireApproval: false });
  await rosa.connect();
  app = await AppProcess.start();
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: 'es-MX', permissions: ['notifications'] });
  await context.addInitScript(HOOK);
  page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err));
  await page.goto(app.url);
  await page.getByRole('button', { name: 'Español' }).click();
  await page.getByLabel(tr('es', 'onboard.invite')).fill(invite);
  await page.getByLabel(tr('es', 'onboard.name')).first().fill('Lupe');
  await page.getByRole('button', { name: tr('es', 'onboard.join') }).click();
  await page.getByRole('heading', { name: tr('es', 'board.title') }).waitFor({ timeout: 30_000 });
  await group.sync();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.dispose();
  await pool.dispose();
  await relay?.dispose();
});

describe('the member screens of the app', () => {
  test('an urgent alert: a generic notification, a tone, the count in the tab title; long words wrap at 360 px', async () => {
    await navTo('es', 'nav.settings');
    const notify = page.getByRole('switch', { name: tr('es', 'settings.notify') });
    await notify.click();
    await expect.poll(() => notify.getAttribute('aria-checked')).toBe('true');
    expect(await page.getByRole('switch', { name: tr('es', 'settings.sound') }).getAttribute('aria-checked')).toBe('true');
    await navTo('es', 'nav.board');

    urgentId = await group.sendAlert({ kind: 'raid', severity: 'urgent', title: LONG_TITLE, place: LONG_PLACE, body: 'dos camionetas', requestAck: true });
    const card = page.locator('.alerts li').first();
    await card.waitFor({ timeout: 20_000 });
    await expect.poll(async () => (await seen()).notes.length).toBe(1);
    const [note] = (await seen()).notes;
    // The notification log keeps this: the generic words only, nothing of the alert or the group.
    expect(note).toEqual({ title: 'Aviso: nueva alerta', options: JSON.stringify({ tag: 'aviso-alert' }) });
    expect((await seen()).tones).toBeGreaterThan(0);
    expect(await page.title()).toBe('(1) Aviso');

    const text = await card.innerText();
    for (const word of ['Urgente', 'Redada', 'De Rosa (organizador)', 'Red de Compton', 'Termina']) expect(text).toContain(word);
    expect(text).toContain('⚠️'); // the icon, besides the word and the colour
    expect(await overflowing(page)).toEqual([]);
    expect(await axeProblems(page)).toEqual([]);

    // Info alerts do not ring; the title still counts them.
    infoId = await group.sendAlert({ kind: 'other', severity: 'info', title: 'Reunión el jueves', place: 'la iglesia', requestAck: false });
    await page.locator('.alerts li').nth(1).waitFor({ timeout: 20_000 });
    await expect.poll(() => page.title()).toBe('(2) Aviso');
    expect((await seen()).notes).toHaveLength(1);
  });

  test("the member's own answer counts in the roll call right after the tap", async () => {
    const acked = nextEvent(rosa, 'ack', (a) => a.alertId === urgentId && a.status === 'on-my-way', 20_000);
    await page.locator('.alerts li button').filter({ hasText: 'Urgente' }).click();
    await page.getByRole('button', { name: 'Voy en camino' }).click();
    await page.getByRole('status').filter({ hasText: 'Respondiste: Voy en camino' }).waitFor();
    await page.getByText(tr('es', 'alert.rollcall', { seen: 0, onMyWay: 1, onScene: 0, cannot: 0 })).waitFor({ timeout: 10_000 });
    expect(await page.getByRole('button', { name: 'Voy en camino' }).getAttribute('aria-pressed')).toBe('true');
    await acked;
    expect(await overflowing(page)).toEqual([]); // the alert screen wraps the long title and place too
  });

  test('a slow read that started before the tap does not put back the counts from before it', async () => {
    // A live event (here a group text) starts a read of the alerts; its answer, computed before our
    // tap, reaches the page after the tap's own read (a slow moment of the machine, held here).
    let held!: () => void;
    const started = new Promise<void>((resolve) => (held = resolve));
    await page.route(
      (url) => url.pathname === '/api/alerts',
      async (route) => {
        const response = await route.fetch();
        held();
        await new Promise((r) => setTimeout(r, 3000));
        await route.fulfill({ response });
      },
      { times: 1 },
    );
    await group.sendText('¿alguien más va?');
    await started;
    await page.getByRole('button', { name: 'En el lugar' }).click();
    const counts = tr('es', 'alert.rollcall', { seen: 0, onMyWay: 0, onScene: 1, cannot: 0 });
    await page.getByText(counts).waitFor({ timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 4000)); // the held, older answer has arrived by now
    expect(await page.getByText(counts).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'En el lugar' }).getAttribute('aria-pressed')).toBe('true');
  });

  test("safety numbers: 12 groups of 5, the organiser's own digits, a QR code, and mark as verified", async () => {
    await navTo('es', 'nav.groups');
    await page.getByText(`${tr('es', 'groups.role', { role: 'miembro' })} · ${tr('es', 'groups.members', { count: 2 })}`).waitFor();
    await page.getByRole('button', { name: tr('es', 'groups.safety') }).click();
    const digits = page.locator('.safety .digits li');
    await expect.poll(() => digits.count(), { timeout: 20_000 }).toBe(12);
    const shown = await digits.allInnerTexts();
    for (const d of shown) expect(d).toMatch(/^\d{5}$/);
    const lupe = (await group.members()).find((m) => m.displayName === 'Lupe')!;
    expect(shown.join('')).toBe(await rosa.safetyNumber(lupe.accountId)); // both ends compute the same 60 digits

    const src = (await page.locator('img.qr').getAttribute('src'))!;
    expect(src.startsWith('data:image/svg+xml,')).toBe(true);
    const svg = decodeURIComponent(src.slice('data:image/svg+xml,'.length));
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).not.toMatch(/<script|href=/);
    expect(await page.locator('img.qr').getAttribute('alt')).toBe(tr('es', 'safety.qr', { name: 'Rosa' }));

    const mark = page.getByRole('switch', { name: tr('es', 'safety.mark') });
    expect(await mark.getAttribute('aria-checked')).toBe('false');
    await mark.click();
    await expect.poll(() => mark.getAttribute('aria-checked')).toBe('true');
    // The host keeps it (the SDK's identity store), not the page: leave and come back.
    await navTo('es', 'nav.board');
    await navTo('es', 'nav.groups');
    await page.getByRole('button', { name: tr('es', 'groups.safety') }).click();
    await expect.poll(() => page.getByRole('switch', { name: tr('es', 'safety.mark') }).getAttribute('aria-checked'), { timeout: 20_000 }).toBe('true');
  });

  test('a retracted alert stays on the board, marked and no longer counted, and is in the history, newest first', async () => {
    await navTo('es', 'nav.board');
    await group.retract(infoId, 'era otra cosa');
    await page.locator('.alerts li').filter({ hasText: tr('es', 'board.retracted') }).waitFor({ timeout: 20_000 });
    expect(await page.locator('.alerts li').count()).toBe(2);
    await expect.poll(() => page.title()).toBe('(1) Aviso');
    await navTo('es', 'nav.history');
    const items = page.locator('.alerts li');
    await expect.poll(() => items.count()).toBe(2);
    expect(await items.nth(0).innerText()).toContain(tr('es', 'board.retracted'));
    expect(await items.nth(0).innerText()).not.toContain(tr('es', 'history.status', { status: tr('es', 'history.active') }));
    expect(await items.nth(1).innerText()).toContain(tr('es', 'history.status', { status: tr('es', 'history.active') }));
  });

  test('settings are kept in this browser: sound off stays off in a new tab', async () => {
    await navTo('es', 'nav.settings');
    const sound = page.getByRole('switch', { name: tr('es', 'settings.sound') });
    await sound.click();
    await expect.poll(() => sound.getAttribute('aria-checked')).toBe('false');
    const other = await context.newPage();
    await other.goto(app.url);
    await other.getByRole('navigation').getByRole('button', { name: tr('es', 'nav.settings') }).click();
    const there = other.getByRole('switch', { name: tr('es', 'settings.sound') });
    await expect.poll(() => there.getAttribute('aria-checked'), { timeout: 20_000 }).toBe('false');
    expect(await other.getByRole('switch', { name: tr('es', 'settings.notify') }).getAttribute('aria-checked')).toBe('true');
    await other.close();
    await sound.click();
    await expect.poll(() => sound.getAttribute('aria-checked')).toBe('true');
  });

  test('every screen in both languages: axe, screenshots at 360 and 1280 px, 200 % zoom, 44 px targets, catalog words only', async () => {
    const texts: Record<Lang, Record<string, string[]>> = { es: {}, en: {} };
    const problems: string[] = [];
    const check = async (lang: Lang, name: string): Promise<void> => {
      for (const p of await axeProblems(page)) problems.push(`${name}-${lang}: ${p}`);
      for (const p of await overflowing(page)) problems.push(`${name}-${lang} at 360 px: ${p}`);
      for (const p of await smallTargets(page)) problems.push(`${name}-${lang} target: ${p}`);
      texts[lang][name] = await ownTexts(page);
      await shot(page, `${name}-${lang}`);
      await page.setViewportSize({ width: 180, height: 390 }); // 360 px at 200 % zoom
      for (const p of await overflowing(page)) problems.push(`${name}-${lang} at 200 %: ${p}`);
      await page.setViewportSize({ width: 1280, height: 900 });
      await shot(page, `${name}-${lang}`);
      await page.setViewportSize({ width: 360, height: 780 });
    };
    const tour = async (lang: Lang): Promise<void> => {
      const heading = (id: string) => page.locator(`#${id}`).waitFor();
      await navTo(lang, 'nav.board');
      await heading('board-title');
      await check(lang, 'board');
      await page.locator('.alerts li button').first().click();
      await heading('alert-title');
      await check(lang, 'alert');
      await navTo(lang, 'nav.board');
      await page.getByRole('button', { name: tr(lang, 'board.report') }).click();
      await heading('report-title');
      await check(lang, 'report');
      await page.getByRole('button', { name: tr(lang, 'kind.checkpoint') }).click();
      await page.getByLabel(tr(lang, 'report.place')).waitFor();
      await check(lang, 'report-place');
      await navTo(lang, 'nav.history');
      await heading('history-title');
      await check(lang, 'history');
      await navTo(lang, 'nav.groups');
      await heading('groups-title');
      await check(lang, 'groups');
      await page.getByRole('button', { name: tr(lang, 'groups.safety') }).click();
      await expect.poll(() => page.locator('.safety .digits li').count(), { timeout: 20_000 }).toBe(12);
      await check(lang, 'safety');
      await navTo(lang, 'nav.settings');
      await heading('settings-title');
      await check(lang, 'settings');
      await page.getByRole('button', { name: tr(lang, 'rights.button') }).click();
      await heading('rights-title');
      await check(lang, 'rights');
      await page.getByRole('button', { name: tr(lang, 'app.back'), exact: true }).click();
    };
    await tour('es');
    await navTo('es', 'nav.settings');
    await page.locator('#main').getByRole('button', { name: 'English' }).click();
    await page.locator('#settings-title').filter({ hasText: 'Settings' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await tour('en');
    expect(problems).toEqual([]);

    // A word typed into a component instead of the catalog reads the same in both languages.
    const same = Object.keys(texts.es).flatMap((name) => texts.es[name]!.filter((s) => texts.en[name]!.includes(s) && !['Aviso', 'Español', 'English'].includes(s)).map((s) => `${name}: ${s}`));
    expect(same).toEqual([]);
    for (const name of Object.keys(texts.es)) expect(texts.es[name]!.length, name).toBeGreaterThan(0);
  }, 600_000);

  test('in English the notification still says only the generic text', async () => {
    await navTo('en', 'nav.board');
    const before = (await seen()).notes.length;
    await group.sendAlert({ kind: 'checkpoint', severity: 'critical', title: 'Checkpoint on Alameda', place: 'Alameda and Olympic', requestAck: true });
    await expect.poll(async () => (await seen()).notes.length, { timeout: 20_000 }).toBe(before + 1);
    expect((await seen()).notes.at(-1)).toEqual({ title: 'Aviso: new alert', options: JSON.stringify({ tag: 'aviso-alert' }) });
    await expect.poll(() => page.title()).toBe('(2) Aviso');
  });

  test('keyboard only: Tab and Enter reach Report and an answer', async () => {
    await navTo('en', 'nav.board');
    await page.locator('#board-title').waitFor();
    await page.evaluate('document.activeElement && document.activeElement.blur()');
    await page.keyboard.press('Tab'); // the skip link, shown while focused, is a full-size target too
    expect(await focusedHeight(page)).toBeGreaterThanOrEqual(44);
    await tabTo(page, 'button', tr('en', 'board.report'));
    await page.keyboard.press('Enter');
    await page.locator('#report-title').waitFor();
    await tabTo(page, 'button', tr('en', 'app.back'));
    await page.keyboard.press('Enter');
    await page.locator('#board-title').waitFor();
    await tabTo(page, '.alerts li button', 'Checkpoint on Alameda');
    await page.keyboard.press('Enter');
    await page.locator('#alert-title').filter({ hasText: 'Checkpoint on Alameda' }).waitFor();
    await tabTo(page, 'button.ack', tr('en', 'ack.seen'));
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: tr('en', 'alert.answered', { status: tr('en', 'ack.seen') }) }).waitFor();
  });

  test('the safety calls refuse bad input with typed errors, and strangers', async () => {
    // The page traded the launch token for its session cookie: the API is called with that cookie.
    const session = (await context.cookies(app.origin)).find((c) => c.name.startsWith('aviso_app_'));
    if (!session) throw new Error('the page holds no session cookie');
    const call = async (method: string, path: string, body?: unknown, value = session.value) => {
      const res = await fetch(`${app.origin}${path}`, {
        method,
        headers: { Cookie: `${session.name}=${value}`, Origin: app.origin, 'Sec-Fetch-Site': 'same-origin', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code };
    };
    const rosaId = rosa.accountId;
    expect(await call('GET', `/api/groups/${group.id}/safety`, undefined, 'f'.repeat(64))).toEqual({ status: 401, code: 'UNAUTHORIZED' });
    expect(await call('GET', `/api/groups/${'0'.repeat(64)}/safety`)).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(await call('POST', `/api/members/${rosaId}/verified`, { verified: 'yes' })).toEqual({ status: 400, code: 'BAD_REQUEST' });
    // Someone in none of our groups: no key lookup on the relay for them, just "no such member".
    expect(await call('POST', '/api/members/00000000-0000-4000-8000-000000000000/verified', { verified: true })).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(await call('POST', `/api/members/${rosaId}/verified`, { verified: false })).toEqual({ status: 200, code: undefined });
  });
});
