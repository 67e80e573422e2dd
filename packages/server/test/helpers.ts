import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { KEMKeyPair, PrivateKey } from '@signalapp/libsignal-client';
import { ROUTES, type RegisterRequest } from '@aviso/protocol';
import type { FastifyInstance } from 'fastify';
import { afterEach } from 'vitest';
import { buildApp, createContext, createLogger, createRegistrationToken, loadConfig, type AppContext, type Clock, type Config } from '../src/index.js';

export class ManualClock implements Clock {
  constructor(public t = Date.UTC(2026, 0, 1, 12, 30, 45, 123)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aviso-server-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function testConfig(env: Record<string, string> = {}, dataDir = tempDir()): Config {
  return loadConfig({ AVISO_DATA_DIR: dataDir, AVISO_PORT: '0', AVISO_LOG_LEVEL: 'debug', ...env });
}

/** Log lines written during the test, parsed. */
export class LogSink {
  readonly lines: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  get text(): string {
    return this.lines.join('\n');
  }
}

export interface TestRelay {
  ctx: AppContext;
  app: FastifyInstance;
  clock: ManualClock;
  logs: LogSink;
}

/** How to close each relay `testRelay` opened, once (after the test, or earlier by `restartRelay`). */
const closers = new WeakMap<TestRelay, () => Promise<void>>();

/** A relay context + app on a fresh temp data folder (or `dataDir`), closed after the test. */
export async function testRelay(env: Record<string, string> = {}, from: { dataDir?: string; clock?: ManualClock } = {}): Promise<TestRelay> {
  const clock = from.clock ?? new ManualClock();
  const logs = new LogSink();
  const ctx = createContext(testConfig(env, from.dataDir), { clock, logger: createLogger('debug', logs.stream), sweepIntervalMs: 0 });
  const app = buildApp(ctx);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
    ctx.close();
  };
  cleanups.push(close);
  await app.ready();
  const relay = { ctx, app, clock, logs };
  closers.set(relay, close);
  return relay;
}

/** `relay` closed and opened again on its data folder and clock: what it stored survives, nothing it held in memory does. */
export async function restartRelay(relay: TestRelay, env: Record<string, string> = {}): Promise<TestRelay> {
  await closers.get(relay)?.();
  return testRelay(env, { dataDir: relay.ctx.config.dataDir, clock: relay.clock });
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

export interface TestIdentity {
  identity: PrivateKey;
  registrationId: number;
  password: string;
}

export function newIdentity(): TestIdentity {
  return {
    identity: PrivateKey.generate(),
    registrationId: 1 + Math.floor(Math.random() * 16000),
    password: Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url'),
  };
}

export function signedEcPreKey(identity: PrivateKey, keyId: number) {
  const publicKey = PrivateKey.generate().getPublicKey().serialize();
  return { keyId, publicKey: b64(publicKey), signature: b64(identity.sign(publicKey)) };
}

export function signedKyberPreKey(identity: PrivateKey, keyId: number) {
  const publicKey = KEMKeyPair.generate().getPublicKey().serialize();
  return { keyId, publicKey: b64(publicKey), signature: b64(identity.sign(publicKey)) };
}

export function ecPreKey(keyId: number) {
  return { keyId, publicKey: b64(PrivateKey.generate().getPublicKey().serialize()) };
}

export function registerRequest(token: string, id: TestIdentity): RegisterRequest {
  return {
    registrationToken: token,
    password: id.password,
    identityKey: b64(id.identity.getPublicKey().serialize()),
    registrationId: id.registrationId,
    signedPreKey: signedEcPreKey(id.identity, 1),
    pqLastResortPreKey: signedKyberPreKey(id.identity, 2),
  };
}

export function basicAuth(accountId: string, deviceId: number, password: string): string {
  return `Basic ${Buffer.from(`${accountId}.${deviceId}:${password}`).toString('base64')}`;
}

export interface TestUser extends TestIdentity {
  accountId: string;
  deviceId: number;
  auth: string;
}

/** Registers a fresh account through the HTTP API. */
export async function registerUser(relay: { ctx: AppContext; app: FastifyInstance }): Promise<TestUser> {
  const id = newIdentity();
  const { token } = createRegistrationToken(relay.ctx);
  const res = await relay.app.inject({ method: 'POST', url: ROUTES.accounts, payload: registerRequest(token, id) });
  if (res.statusCode !== 200) throw new Error(`registration failed: ${res.statusCode} ${res.body}`);
  const { accountId, deviceId } = res.json<{ accountId: string; deviceId: number }>();
  return { ...id, accountId, deviceId, auth: basicAuth(accountId, deviceId, id.password) };
}

/** Counts rows of a table straight from SQLite. */
export function countRows(ctx: AppContext, table: string): number {
  return (ctx.storage.db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

export function envelopeContent(bytes = 64, fill = 7): string {
  return Buffer.alloc(bytes, fill).toString('base64');
}
