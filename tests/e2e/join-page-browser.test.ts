/**
 * The relay's join page in a real browser: a real relay process, a real invite made by a real SDK
 * client, headless Debian chromium. The invite's fragment holds the group's keys: no request the
 * page causes may carry it, or any piece of it.
 */
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { axeProblems, launchBrowser, shot } from '../support/app-browser.js';
import { ClientPool } from '../support/clients.js';
import { RelayProcess } from '../support/relay.js';

let relay: RelayProcess;
let browser: Browser;
let invite: string;
let payload: string;
const pool = new ClientPool();

beforeAll(async () => {
  relay = await RelayProcess.start();
  const rosa = await pool.registered(relay, 'rosa');
  const group = await rosa.createGroup({ title: 'Red de Compton', displayName: 'Rosa' });
  invite = await group.createInvite({ expiresInSeconds: 3600, maxUses: 2, requireApproval: false });
  payload = invite.split('#')[1]!;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await pool.dispose();
  await relay?.dispose();
});

/** Everything a request puts on the wire that a page could fill: URL, headers, body. */
async function wire(r: Request): Promise<string> {
  return [r.url(), JSON.stringify(await r.allHeaders()), r.postData() ?? ''].join('\n');
}

/** Every 8-character piece of the payload (and the '#'-joined link) that shows up in any request. */
async function leaks(requests: Request[]): Promise<string[]> {
  const pieces = new Set<string>();
  for (let i = 0; i + 8 <= payload.length; i++) pieces.add(payload.slice(i, i + 8));
  const found: string[] = [];
  for (const r of requests) {
    const text = await wire(r);
    if (text.includes('#')) found.push(`'#' in ${r.url()}`);
    for (const p of pieces) if (text.includes(p) || text.includes(encodeURIComponent(p))) found.push(`${p} in ${r.url()}`);
  }
  return found;
}

async function open(locale: string): Promise<{ page: Page; requests: Request[] }> {
  const page = await browser.newPage({ viewport: { width: 360, height: 780 }, locale });
  const requests: Request[] = [];
  page.on('request', (r) => requests.push(r));
  await page.goto(invite);
  await page.waitForLoadState('networkidle');
  return { page, requests };
}

describe('the relay join page in a browser', () => {
  test('the invite link is a real relay link', () => {
    expect(invite.startsWith(`${relay.url}/join#`)).toBe(true);
    expect(payload.length).toBeGreaterThan(40);
  });

  test('in Spanish: both ways to join, no script, and no request carries any part of the fragment', async () => {
    const { page, requests } = await open('es-MX');
    try {
      expect(requests.length).toBeGreaterThan(0);
      expect(requests[0]!.url()).toBe(`${relay.url}/join`);
      expect(await leaks(requests)).toEqual([]);
      expect(await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)).toBe(`#${payload}`); // still there to copy
      expect(await page.locator('script').count()).toBe(0);
      await page.getByRole('heading', { level: 1, name: 'Únete a un grupo en Aviso' }).waitFor();
      await page.getByRole('heading', { name: 'Con la app de Aviso' }).waitFor();
      await page.getByRole('heading', { name: 'Con la línea de comandos' }).waitFor();
      const text = await page.locator('main').innerText();
      expect(text).toContain('"Enlace o código de invitación"');
      expect(text).toContain('"Unirme"');
      expect(text).toContain('aviso join "ENLACE DE INVITACIÓN" --name "Tu nombre"');
      expect(await axeProblems(page)).toEqual([]);
      await shot(page, 'join-page-es');

      // The switch is a plain link; the request it makes carries no Referer and no fragment.
      const before = requests.length;
      await page.getByRole('link', { name: 'English' }).click();
      await page.getByRole('heading', { level: 1, name: 'Join a group on Aviso' }).waitFor();
      await page.waitForLoadState('networkidle');
      const after = requests.slice(before);
      expect(after[0]!.url()).toBe(`${relay.url}/join?lang=en`);
      expect(await after[0]!.headerValue('referer')).toBeNull();
      expect(await leaks(requests)).toEqual([]);
      await page.getByRole('heading', { name: 'With the Aviso app' }).waitFor();
      await page.getByRole('heading', { name: 'With the command line' }).waitFor();
      expect(await page.locator('main').innerText()).toContain('"Invite link or code"');
      expect(await axeProblems(page)).toEqual([]);
    } finally {
      await page.close();
    }
  });

  test('in English by the browser language, and back to Spanish by the link', async () => {
    const { page, requests } = await open('en-US');
    try {
      expect(await leaks(requests)).toEqual([]);
      await page.getByRole('heading', { level: 1, name: 'Join a group on Aviso' }).waitFor();
      expect(await page.locator('main').innerText()).toContain('aviso join "INVITE LINK" --name "Your name"');
      expect(await axeProblems(page)).toEqual([]);
      await shot(page, 'join-page-en');
      await page.getByRole('link', { name: 'Español' }).click();
      await page.getByRole('heading', { level: 1, name: 'Únete a un grupo en Aviso' }).waitFor();
      expect(await leaks(requests)).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
