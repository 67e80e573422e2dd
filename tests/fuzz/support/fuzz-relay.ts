import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ProtocolAddress } from '@signalapp/libsignal-client';
import { ROUTES } from '@aviso/protocol';
import { buildApp, createContext, createLogger, createRegistrationToken, loadConfig } from '@aviso/server';
import { ManualClock, LogSink, type TestRelay } from '../../../packages/server/test/helpers.js';
import { blob, newInvite, TestGroup } from '../../../packages/server/test/group-helpers.js';
import { groupOf, tokenFor, expectOk, type Party } from '../../../packages/server/test/group-send-helpers.js';
import { registrationBody } from '../../support/raw-account.js';
import type { RelayProcess } from '../../support/relay.js';

/** What the property-based suites fuzz against: an in-process relay, listening on loopback for ws. */
export interface FuzzRelay extends TestRelay {
  dataDir: string;
  url: string;
  /** Three members of one group (alice created it); each with Basic credentials and a presentation. */
  parties: Party[];
  group: TestGroup;
  /** Valid group send tokens and SSv2 bodies for them (alice → bob and carol). */
  sendTokens: string[];
  sentMessages: Buffer[];
  /** A registration token with uses to spare, and how many it started with. */
  token: string;
  tokenUses: number;
  /** Accounts that existed before any fuzzing (the parties). */
  baselineAccounts: number;
  close(): Promise<void>;
}

/**
 * Generous rate limits so fuzzed requests reach the code behind them (the abuse suite tests the
 * limits themselves); a small queue cap so the trim path runs too.
 */
export const FUZZ_ENV = {
  AVISO_QUEUE_MAX_PER_DEVICE: '50',
  AVISO_SEND_RATE_CAPACITY: '100000',
  AVISO_REGISTER_RATE_CAPACITY: '100000',
  AVISO_MEMBER_TOKENS_PER_DAY: '100000',
} as const;

export async function startFuzzRelay(env: Record<string, string> = {}): Promise<FuzzRelay> {
  const dataDir = mkdtempSync(join(tmpdir(), 'aviso-fuzz-'));
  const clock = new ManualClock(Date.now());
  const logs = new LogSink();
  const config = loadConfig({ AVISO_DATA_DIR: dataDir, AVISO_PORT: '0', AVISO_LOG_LEVEL: 'warn', ...FUZZ_ENV, ...env });
  const ctx = createContext(config, { clock, logger: createLogger('warn', logs.stream), sweepIntervalMs: 0 });
  const app = buildApp(ctx);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const relay: TestRelay = { ctx, app, clock, logs };
  const tokenUses = 1_000_000;
  const { token } = createRegistrationToken(ctx, { uses: tokenUses, ttlMs: 30 * 86_400_000 });
  const { port } = app.server.address() as AddressInfo;
  return {
    ...relay,
    ...(await withParties(relay)),
    dataDir,
    url: `http://127.0.0.1:${port}`,
    token,
    tokenUses,
    baselineAccounts: 3,
    async close() {
      await app.close();
      ctx.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The same fuzz setup against a real relay process: the test helpers (written for `app.inject`) go
 * through an adapter that sends each request over HTTP instead. Every registration, the parties'
 * included, spends a use of one CLI-made token.
 */
export async function startRemoteFuzzRelay(process: RelayProcess): Promise<FuzzRelay> {
  const tokenUses = 100_000;
  const token = await process.createToken(tokenUses, '30d');
  const info = (await (await fetch(new URL(ROUTES.relayInfo, process.url))).json()) as { zkgroupPublicParams: string };
  const inject = async (opts: { method: string; url: string; headers?: Record<string, string>; payload?: unknown }) => {
    const headers: Record<string, string> = { ...opts.headers };
    let body: string | Buffer | undefined;
    if (opts.payload !== undefined) {
      if (typeof opts.payload === 'string' || Buffer.isBuffer(opts.payload)) body = opts.payload;
      else {
        body = JSON.stringify(opts.payload);
        headers['content-type'] ??= 'application/json';
      }
    }
    const res = await fetch(`${process.url}${opts.url}`, { method: opts.method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    return { statusCode: res.status, body: text, json: () => JSON.parse(text) as unknown };
  };
  const clock = { now: () => Date.now() };
  const remote = {
    app: { inject },
    clock,
    ctx: { keys: { zkgroupPublicParams: Buffer.from(info.zkgroupPublicParams, 'base64') }, services: { tokens: { create: () => ({ token }) } } },
  } as unknown as TestRelay;
  return {
    ...remote,
    ...(await withParties(remote)),
    dataDir: process.dataDir,
    url: process.url,
    token,
    tokenUses,
    baselineAccounts: 0,
    close: async () => undefined,
  };
}

/** Three group members, send tokens and SSv2 bodies for them, and a standing invite. */
async function withParties(relay: TestRelay) {
  const { group, parties } = await groupOf(relay, 3);
  const [alice, bob, carol] = parties as [Party, Party, Party];
  const sendTokens = [await tokenFor(group, alice, [bob.aci, carol.aci]), await tokenFor(group, alice, [bob.aci])];
  const addresses: ProtocolAddress[] = [await alice.connect(bob), await alice.connect(carol)];
  await alice.distributeSenderKey([bob, carol]);
  const sentMessages = [
    Buffer.from(await alice.sentMessage(relay, addresses, new Uint8Array(randomBytes(40)))),
    Buffer.from(await alice.sentMessage(relay, addresses.slice(0, 1), new Uint8Array(randomBytes(40)))),
  ];
  // A standing invite so join and join-info requests can reach their checks.
  const invite = newInvite({ maxUses: 20_000 });
  expectOk(await group.append(alice.user, [invite.action]));
  inviteOf.set(group, invite);
  return { group, parties, sendTokens, sentMessages };
}

/** The standing invite of a fuzz relay's group. */
export const inviteOf = new WeakMap<TestGroup, ReturnType<typeof newInvite>>();

/** A pool of valid registration bodies (distinct identities) for `token`. */
export function registrationTemplates(token: string, n = 3): unknown[] {
  return Array.from({ length: n }, () => {
    const { identity: _identity, ...body } = registrationBody(token);
    return body;
  });
}

export { blob };
