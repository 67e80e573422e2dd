/**
 * The app on a passphrase-protected profile (issues 13 and 15), as a user meets it: a real relay, a real
 * `aviso app` on a profile protected with `aviso passphrase set`, real chromium. It starts locked (no
 * client open, the API refuses data), unlocks from the page, locks on "Lock now" (closing the client, so
 * the CLI can open the profile again), and the wipe button removes the profile folder.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { axeProblems, launchBrowser, shot } from '../support/app-browser.js';
import { AppProcess, buildApp } from '../support/app-process.js';
import { runAviso } from '../support/cli-process.js';
import { RelayProcess } from '../support/relay.js';

let relay: RelayProcess;
let app: AppProcess;
let browser: Browser;
let page: Page;
const home = mkdtempSync(join(tmpdir(), 'aviso-app-lock-'));
const secrets = mkdtempSync(join(tmpdir(), 'aviso-app-lock-secrets-'));
const PASSPHRASE = 'correct horse battery staple';
const passFile = join(secrets, 'pass');

beforeAll(async () => {
  await buildApp();
  relay = await RelayProcess.start();
  expect((await runAviso(home, ['register', relay.url, await relay.createToken(), '--name', 'Rosa'])).code).toBe(0);
  expect((await runAviso(home, ['group', 'create', 'Eastside'])).code).toBe(0);
  writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
  const set = await runAviso(home, ['passphrase', 'set', '--new-passphrase-file', passFile]);
  expect(set.code, set.stderr).toBe(0);
  app = await AppProcess.start([], home);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 360, height: 780 } });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.dispose();
  await relay?.dispose();
  rmSync(home, { recursive: true, force: true });
  rmSync(secrets, { recursive: true, force: true });
});

/** A call from the page itself: its own origin and session cookie, as the app makes them. */
function fromPage(method: string, path: string, body?: unknown): Promise<{ status: number; json: { error?: { code: string } } & Record<string, unknown> }> {
  return page.evaluate(
    async ([m, p, b]) => {
      const res = await fetch(p as string, { method: m as string, credentials: 'same-origin', ...(b === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b) }) });
      return { status: res.status, json: (await res.json()) as { error?: { code: string } } & Record<string, unknown> };
    },
    [method, path, body] as const,
  );
}

const unlockHeading = (p: Page) => p.getByRole('heading', { name: 'Aviso is locked' });

describe('aviso app on a passphrase-protected profile', () => {
  test('starts locked: the unlock screen in both languages, and no data through the API', { timeout: 120_000 }, async () => {
    await page.goto(app.url);
    await page.getByRole('button', { name: 'English' }).click();
    await unlockHeading(page).waitFor({ timeout: 30_000 });
    const field = page.getByLabel('Passphrase');
    expect(await field.getAttribute('type')).toBe('password');
    expect(await field.getAttribute('autocomplete')).toBe('current-password');
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'unlock-en');
    await page.getByRole('button', { name: 'Español' }).click();
    await page.getByRole('heading', { name: 'Aviso está bloqueado' }).waitFor();
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'unlock-es');
    await page.getByRole('button', { name: 'English' }).click();
    await unlockHeading(page).waitFor();

    expect((await fromPage('GET', '/api/profile')).json).toEqual({ type: 'profile', profile: 'default', locked: true, lockable: true });
    for (const path of ['/api/groups', '/api/alerts']) {
      const r = await fromPage('GET', path);
      expect([r.status, r.json.error?.code]).toEqual([423, 'LOCKED']);
    }
    const post = await fromPage('POST', '/api/alerts', { groupId: 'x', kind: 'raid', place: 'here' });
    expect([post.status, post.json.error?.code]).toEqual([423, 'LOCKED']);
    // The lock routes are behind the same origin check as every state change.
    const foreign = await fetch(`${app.origin}/api/unlock`, { method: 'POST', headers: { Origin: 'http://evil.example', 'Content-Type': 'application/json' }, body: JSON.stringify({ passphrase: PASSPHRASE }) });
    expect(foreign.status).toBe(401);
  });

  test('a wrong passphrase is said in words; the right one opens the board', { timeout: 120_000 }, async () => {
    await page.getByLabel('Passphrase').fill('not it');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('alert').filter({ hasText: 'That is not the passphrase' }).waitFor({ timeout: 30_000 });
    expect(await page.getByLabel('Passphrase').inputValue()).toBe(''); // not kept in the page
    await page.getByLabel('Passphrase').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('heading', { name: 'Alerts' }).waitFor({ timeout: 60_000 });
    const groups = await fromPage('GET', '/api/groups');
    expect(groups.status).toBe(200);
    expect(groups.json).toEqual([expect.objectContaining({ title: 'Eastside' })]);
    // Nothing of the passphrase in the browser's storage.
    const stored = await page.evaluate(() => {
      const g = globalThis as unknown as { localStorage: object; sessionStorage: object; document: { cookie: string } };
      return JSON.stringify({ ...g.localStorage }) + JSON.stringify({ ...g.sessionStorage }) + g.document.cookie;
    });
    expect(stored).not.toContain(PASSPHRASE);
  });

  test('settings: the idle time is checked; Lock now shows the unlock screen and frees the profile', { timeout: 120_000 }, async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    const bad = await fromPage('POST', '/api/lock/idle', { minutes: 0 });
    expect([bad.status, bad.json.error?.code]).toEqual([400, 'BAD_REQUEST']);
    await page.getByLabel('Minutes without use before Aviso locks').fill('30');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved: Aviso locks after 30 minutes without use.').waitFor();
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'settings-lock-en');
    await page.getByRole('button', { name: 'Lock now' }).click();
    await unlockHeading(page).waitFor({ timeout: 30_000 });
    // The client is closed: the profile lock is free, so the CLI opens the profile with the passphrase file.
    const cli = await runAviso(home, ['--passphrase-file', passFile, 'groups']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain('Eastside');
  });

  test('the wipe button, after typing the profile name, removes the profile folder; the unlock screen has it too', { timeout: 120_000 }, async () => {
    await page.getByLabel('Passphrase').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('heading', { name: 'Alerts' }).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Wipe everything…' }).click();
    const wipeNow = page.getByRole('button', { name: 'Wipe now' });
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'settings-wipe-en');
    expect(await wipeNow.isDisabled()).toBe(true);
    const wrong = await fromPage('POST', '/api/wipe', { confirm: 'other' });
    expect([wrong.status, wrong.json.error?.code]).toEqual([400, 'BAD_REQUEST']);
    expect(existsSync(join(home, 'profiles', 'default'))).toBe(true);
    await page.getByRole('button', { name: 'Cancel' }).click();

    // A panic wipe must not need the passphrase: locked, the unlock screen offers the same button.
    await page.getByRole('button', { name: 'Lock now' }).click();
    await unlockHeading(page).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Wipe everything…' }).click();
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'unlock-wipe-en');
    expect(await wipeNow.isDisabled()).toBe(true);
    await page.getByLabel('To confirm, type the profile name:').fill('default');
    await wipeNow.click();
    await page.getByText('This profile was wiped').waitFor({ timeout: 30_000 });
    expect(existsSync(join(home, 'profiles', 'default'))).toBe(false);
    const after = await fromPage('GET', '/api/profile');
    expect([after.status, after.json.error?.code]).toEqual([410, 'WIPED']);
  });
});

describe('the unlock route against a guesser', () => {
  test('5 wrong passphrases a minute, then RATE_LIMITED even for the right one; an oversized body is refused', { timeout: 180_000 }, async () => {
    const home2 = mkdtempSync(join(tmpdir(), 'aviso-app-lock-guess-'));
    const a = await (async () => {
      expect((await runAviso(home2, ['register', relay.url, await relay.createToken(), '--name', 'Ana'])).code).toBe(0);
      expect((await runAviso(home2, ['passphrase', 'set', '--new-passphrase-file', passFile])).code).toBe(0);
      return AppProcess.start([], home2);
    })();
    try {
      const cookie = await a.session();
      const unlock = async (body: string) => {
        const res = await fetch(`${a.origin}/api/unlock`, { method: 'POST', headers: { Cookie: cookie, Origin: a.origin, 'Content-Type': 'application/json' }, body });
        return [res.status, ((await res.json()) as { error?: { code: string } }).error?.code];
      };
      for (let i = 0; i < 5; i++) expect(await unlock(JSON.stringify({ passphrase: `guess ${i}` }))).toEqual([422, 'WRONG_PASSPHRASE']);
      expect(await unlock(JSON.stringify({ passphrase: PASSPHRASE }))).toEqual([429, 'RATE_LIMITED']);
      expect(await unlock(JSON.stringify({ passphrase: 'x'.repeat(20_000) }))).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      expect(await unlock(JSON.stringify({ passphrase: 'x'.repeat(2_000) }))).toEqual([400, 'BAD_REQUEST']);
      const profile = await fetch(`${a.origin}/api/profile`, { headers: { Cookie: cookie } });
      expect(await profile.json()).toEqual(expect.objectContaining({ locked: true }));
    } finally {
      await a.dispose();
      rmSync(home2, { recursive: true, force: true });
    }
  });
});
