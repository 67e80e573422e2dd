/**
 * The app end to end: a real relay process, a real `aviso app` (CLI + member host), real headless
 * Debian chromium driven by playwright-core, and an organiser as a real SDK client in this process.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AvisoClient, Group } from '@aviso/client';
import { AppProcess, buildApp } from '../support/app-process.js';
import { ClientPool, nextEvent } from '../support/clients.js';
import { SHOTS, axeProblems, launchBrowser } from '../support/app-browser.js';
import { RelayProcess } from '../support/relay.js';

// Within the protocol's limits; the app must show each as text (no markup, no reordering of the line).
const HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1"><b>Redada</b> \u202Eetis\u202C \u001B[31mrojo\u001B[0m';

let relay: RelayProcess;
let app: AppProcess;
let browser: Browser;
let page: Page;
const pool = new ClientPool();
let rosa: AvisoClient;
let group: Group;
let invite: string;

beforeAll(async () => {
  await buildApp();
  relay = await RelayProcess.start();
  rosa = await pool.registered(relay, 'rosa');
  group = await rosa.createGroup({ title: 'Red de Compton', displayName: 'Rosa' });
  invite = await group.createInvite({ expiresInSeconds: 3600, maxUses: 2, requireApproval: false });
  await rosa.connect();
  app = await AppProcess.start();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 360, height: 780 }, locale: 'es-MX' });
  page.on('pageerror', (err) => console.error('page error:', err));
});

afterAll(async () => {
  await browser?.close();
  await app?.dispose();
  await pool.dispose();
  await relay?.dispose();
});

describe('aviso app in a browser', () => {
  test('a new member picks Spanish and joins by invite', async () => {
    await page.goto(app.url);
    await page.getByRole('button', { name: 'Español' }).click();
    await page.getByRole('heading', { name: 'Únete a tu grupo' }).waitFor();
    expect(await axeProblems(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'onboarding-es.png'), fullPage: true });
    await page.getByLabel('Enlace o código de invitación').fill(invite);
    await page.getByLabel('Tu nombre (el que ve tu grupo)').first().fill('Lupe');
    await page.getByRole('button', { name: 'Unirme' }).click();
    await page.getByRole('heading', { name: 'Alertas' }).waitFor({ timeout: 30_000 });
    expect(page.url()).not.toContain('#k='); // the token left the address bar
    await group.sync();
    expect((await group.members()).map((m) => m.displayName).sort()).toEqual(['Lupe', 'Rosa']);
  });

  test('an alert from another member appears live, hostile text shown as text', async () => {
    await group.sendAlert({ kind: 'raid', severity: 'critical', title: HOSTILE_TITLE, place: '<script>alert(1)</script> Rosecrans y Alameda', body: 'dos camionetas', requestAck: true });
    const card = page.locator('.alerts li').first();
    await card.waitFor({ timeout: 20_000 });
    const text = await card.innerText();
    expect(text).toContain('Muy grave'); // severity by word, not colour alone
    expect(text).toContain('Redada');
    expect(text).toContain('<b>Redada</b>');
    expect(text).toContain('<script>alert(1)</script>');
    expect(text).toContain('etis [31mrojo[0m'); // the override and ESC are gone; the words stay in order
    // eslint-disable-next-line no-control-regex -- looking for exactly those characters
    expect(text).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u001B]/);
    expect(text).toMatch(/De Rosa \(organizador\)/);
    expect(await card.locator('img, b, script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await card.locator('.title').getAttribute('dir')).toBe('auto');
    expect(await axeProblems(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'board-es.png'), fullPage: true });
  });

  test('tapping "Voy en camino" reaches the sender as an encrypted ack', async () => {
    const acked = nextEvent(rosa, 'ack', (a) => a.status === 'on-my-way', 20_000);
    await page.locator('.alerts li button').first().click();
    await page.getByRole('button', { name: 'Voy en camino' }).waitFor();
    for (const label of ['Visto', 'En el lugar', 'No puedo']) expect(await page.getByRole('button', { name: label }).count()).toBe(1);
    expect(await axeProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Voy en camino' }).click();
    const ack = await acked;
    expect(ack.from).not.toBe(rosa.accountId);
    await page.getByRole('status').filter({ hasText: 'Respondiste: Voy en camino' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'alert-es.png'), fullPage: true });
  });

  test('know your rights opens from every screen, offline cards in Spanish', async () => {
    await page.getByRole('button', { name: 'Conoce tus derechos' }).click();
    await page.getByRole('heading', { name: 'Agentes en la puerta de tu casa' }).waitFor();
    expect(await page.locator('article.rights').count()).toBe(5);
    expect(await axeProblems(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'rights-es.png'), fullPage: true });
    await page.getByRole('button', { name: 'Volver' }).click();
  });

  test('a report takes two taps and a place, and reaches the group', async () => {
    await page.getByRole('button', { name: 'Volver' }).first().click().catch(() => undefined);
    await page.getByRole('heading', { name: 'Alertas' }).waitFor();
    const received = nextEvent(rosa, 'alert', (a) => a.kind === 'checkpoint', 20_000);
    await page.getByRole('button', { name: 'Reportar' }).click();
    await page.getByRole('button', { name: 'Retén' }).click();
    await page.getByLabel('¿Dónde?').fill('Long Beach Blvd y Compton Blvd');
    expect(await axeProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Enviar alerta' }).click();
    const alert = await received;
    expect(alert).toMatchObject({ kind: 'checkpoint', severity: 'urgent', title: 'Retén' });
    expect(alert.place?.text).toBe('Long Beach Blvd y Compton Blvd');
  });

  test('English works the same way', async () => {
    await page.getByRole('heading', { name: 'Alertas' }).waitFor();
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    expect(await page.locator('.alerts').innerText()).toContain('Critical');
    expect(await axeProblems(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'board-en.png'), fullPage: true });
  });

  test('a reload keeps the session by its HttpOnly cookie; the spent link opens nothing in another browser', async () => {
    await page.reload();
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie)).toBe(''); // no script can read the session
    const cookies = await page.context().cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: `aviso_app_${app.port}`, httpOnly: true, sameSite: 'Strict', path: '/' })]);
    const stranger = await browser.newPage({ viewport: { width: 360, height: 780 }, locale: 'es-MX' });
    try {
      await stranger.goto(app.url); // the same address, already exchanged by the first browser
      await stranger.getByRole('button', { name: 'Español' }).click();
      await stranger.getByRole('alert').filter({ hasText: 'no está conectada a Aviso' }).waitFor();
      expect(await stranger.context().cookies()).toEqual([]);
      expect(await axeProblems(stranger)).toEqual([]);
    } finally {
      await stranger.close();
    }
  });
});
