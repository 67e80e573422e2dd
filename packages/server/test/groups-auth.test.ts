import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { AuthCredentialsResponse, ErrorBody, MintTokenResponse, ROUTES } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { DATABASE_FILE } from '../src/context.js';
import { createContext, createLogger } from '../src/index.js';
import { errorCode, fetchCredential, TestGroup, today } from './group-helpers.js';
import { countRows, LogSink, ManualClock, newIdentity, registerRequest, registerUser, tempDir, testConfig, testRelay, type TestRelay, type TestUser } from './helpers.js';

const DAY_S = 86_400;
const DAY_MS = DAY_S * 1000;

async function credentials(relay: TestRelay, user: TestUser, from: number, to: number) {
  return relay.app.inject({ method: 'GET', url: `${ROUTES.authCredentials}?from=${from}&to=${to}`, headers: { authorization: user.auth } });
}

describe('GET /v1/certificate/auth/group', () => {
  test('issues one credential per day for up to 7 days ahead, with a stable per-account salt', async () => {
    const relay = await testRelay();
    const user = await registerUser(relay);
    const day = today(relay);
    const res = await credentials(relay, user, day, day + 7 * DAY_S);
    expect(res.statusCode).toBe(200);
    const body = AuthCredentialsResponse.parse(res.json());
    expect(body.credentials.map((c) => c.redemptionTime)).toEqual(Array.from({ length: 8 }, (_, i) => day + i * DAY_S));
    const again = AuthCredentialsResponse.parse((await credentials(relay, user, day - DAY_S, day)).json());
    expect(again.authCredentialSalt).toBe(body.authCredentialSalt);
    expect(again.credentials).toHaveLength(2);
    // Each account has its own salt.
    const other = AuthCredentialsResponse.parse((await credentials(relay, await registerUser(relay), day, day)).json());
    expect(other.authCredentialSalt).not.toBe(body.authCredentialSalt);
  });

  test.each([
    ['not day-aligned', (d: number) => [d + 1, d + DAY_S]],
    ['more than 7 days ahead', (d: number) => [d, d + 8 * DAY_S]],
    ['reversed', (d: number) => [d + DAY_S, d]],
    ['before yesterday', (d: number) => [d - 2 * DAY_S, d]],
    ['a window wider than 7 days', (d: number) => [d - DAY_S, d + 7 * DAY_S]],
  ])('a range %s is 400 BAD_REQUEST', async (_name, range) => {
    const relay = await testRelay();
    const user = await registerUser(relay);
    const [from, to] = range(today(relay));
    const res = await credentials(relay, user, from!, to!);
    expect(res.statusCode).toBe(400);
    expect(ErrorBody.parse(res.json()).error.code).toBe('BAD_REQUEST');
  });

  test('needs account credentials', async () => {
    const relay = await testRelay();
    const day = today(relay);
    const res = await relay.app.inject({ method: 'GET', url: `${ROUTES.authCredentials}?from=${day}&to=${day}` });
    expect(res.statusCode).toBe(401);
    const bad = await relay.app.inject({
      method: 'GET',
      url: `${ROUTES.authCredentials}?from=${day}&to=${day}`,
      headers: { authorization: (await registerUser(relay)).auth.slice(0, -4) + 'AAAA' },
    });
    expect(bad.statusCode).toBe(401);
  });

  test('an account without a salt (created before groups) gets one on its first request, and keeps it', async () => {
    const relay = await testRelay();
    const user = await registerUser(relay);
    relay.ctx.storage.db.$client.prepare('UPDATE accounts SET auth_credential_salt = NULL').run();
    const day = today(relay);
    const first = AuthCredentialsResponse.parse((await credentials(relay, user, day, day)).json());
    const second = AuthCredentialsResponse.parse((await credentials(relay, user, day, day)).json());
    expect(second.authCredentialSalt).toBe(first.authCredentialSalt);
    const stored = relay.ctx.storage.db.$client.prepare('SELECT auth_credential_salt AS s FROM accounts').get() as { s: Buffer };
    expect(stored.s.toString('base64')).toBe(first.authCredentialSalt);
    // …and the credential it gets works for groups.
    const member = { ...user, ...(await fetchCredential(relay, user)) };
    expect((await new TestGroup(relay).create(member)).statusCode).toBe(200);
  });

  test('a database from before groups migrates, and its accounts can fetch credentials', async () => {
    // Apply only the first migration, as a relay of the previous release would have.
    const dir = tempDir();
    const migrations = join(dir, 'migrations');
    mkdirSync(join(migrations, 'meta'), { recursive: true });
    const source = new URL('../drizzle/', import.meta.url);
    const journal = JSON.parse(readFileSync(new URL('meta/_journal.json', source), 'utf8')) as { entries: { tag: string }[] };
    const first = journal.entries[0]!;
    cpSync(new URL(`${first.tag}.sql`, source), join(migrations, `${first.tag}.sql`));
    writeFileSync(join(migrations, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: [first] }));
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    const old = new Database(join(dataDir, DATABASE_FILE));
    migrate(drizzle(old), { migrationsFolder: migrations });
    expect(old.prepare("SELECT name FROM pragma_table_info('accounts') WHERE name = 'auth_credential_salt'").get()).toBeUndefined();
    old.close();

    // Register through the relay on the upgraded database, then make the account look pre-groups.
    const clock = new ManualClock();
    const ctx = createContext(testConfig({}, dataDir), { clock, logger: createLogger('error', new LogSink().stream), sweepIntervalMs: 0 });
    try {
      expect(countRows(ctx, 'groups')).toBe(0);
      const id = newIdentity();
      const { token } = ctx.services.tokens.create({ uses: 1, ttlMs: DAY_MS });
      const { accountId } = ctx.services.accounts.register(registerRequest(token, id));
      ctx.storage.db.$client.prepare('UPDATE accounts SET auth_credential_salt = NULL').run();
      const day = Math.floor(clock.now() / DAY_MS) * DAY_S;
      const res = ctx.services.groupAuth.issue({ accountId, deviceId: 1 }, day, day);
      expect(Buffer.from(res.authCredentialSalt, 'base64')).toHaveLength(32);
    } finally {
      ctx.close();
    }
  });
});

describe('POST /v1/registration-tokens', () => {
  const mint = (relay: TestRelay, user: TestUser, body: object) =>
    relay.app.inject({ method: 'POST', url: ROUTES.registrationTokens, headers: { authorization: user.auth }, payload: body });

  test('a member mints a token that registers exactly its number of accounts; expiry is capped at 30 days', async () => {
    const relay = await testRelay();
    const user = await registerUser(relay);
    const res = await mint(relay, user, { uses: 2, expiresAt: relay.clock.now() + 365 * DAY_MS });
    expect(res.statusCode).toBe(200);
    const { token, expiresAt } = MintTokenResponse.parse(res.json());
    // Capped, then rounded up to the minute (an exact expiry would date the mint).
    expect(expiresAt).toBe(Math.ceil((relay.clock.now() + 30 * DAY_MS) / 60_000) * 60_000);
    expect(expiresAt % 60_000).toBe(0);
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await relay.app.inject({ method: 'POST', url: ROUTES.accounts, payload: registerRequest(token, newIdentity()) })).statusCode);
    }
    expect(statuses).toEqual([200, 200, 403]);
  });

  test('the daily allowance counts registrations per account and resets the next UTC day', async () => {
    const relay = await testRelay({ AVISO_MEMBER_TOKENS_PER_DAY: '3' });
    const [alice, bob] = [await registerUser(relay), await registerUser(relay)];
    const expiresAt = relay.clock.now() + DAY_MS;
    expect((await mint(relay, alice, { uses: 2, expiresAt })).statusCode).toBe(200);
    expect((await mint(relay, alice, { uses: 1, expiresAt })).statusCode).toBe(200);
    const limited = await mint(relay, alice, { uses: 1, expiresAt });
    expect(limited.statusCode).toBe(429);
    const body = ErrorBody.parse(limited.json()).error;
    expect(body.code).toBe('RATE_LIMITED');
    expect(body.details?.retryAfterSeconds).toBeGreaterThan(0);
    expect((await mint(relay, alice, { uses: 4, expiresAt })).statusCode).toBe(400); // never satisfiable
    expect((await mint(relay, bob, { uses: 3, expiresAt })).statusCode).toBe(200); // per account
    relay.clock.advance(DAY_MS);
    expect((await mint(relay, alice, { uses: 1, expiresAt: relay.clock.now() + DAY_MS })).statusCode).toBe(200);
    expect(countRows(relay.ctx, 'registration_tokens')).toBe(4);
  });

  test('AVISO_MEMBER_TOKENS_PER_DAY=0 turns minting off; bad requests and missing auth are refused', async () => {
    const off = await testRelay({ AVISO_MEMBER_TOKENS_PER_DAY: '0' });
    const user = await registerUser(off);
    const res = await mint(off, user, { uses: 1, expiresAt: off.clock.now() + DAY_MS });
    expect(res.statusCode).toBe(403);
    expect(errorCode(res)).toBe('FORBIDDEN');
    expect(countRows(off.ctx, 'registration_tokens')).toBe(0);

    const relay = await testRelay();
    const member = await registerUser(relay);
    expect((await mint(relay, member, { uses: 1, expiresAt: relay.clock.now() - 1 })).statusCode).toBe(400);
    expect((await mint(relay, member, { uses: 0, expiresAt: relay.clock.now() + DAY_MS })).statusCode).toBe(400);
    const anon = await relay.app.inject({ method: 'POST', url: ROUTES.registrationTokens, payload: { uses: 1, expiresAt: relay.clock.now() + DAY_MS } });
    expect(anon.statusCode).toBe(401);
    expect(countRows(relay.ctx, 'registration_tokens')).toBe(0);
  });
});
