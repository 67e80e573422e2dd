import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { scale } from '../support/scale.js';
import { InputCounter, responseProblem } from './support/checks.js';
import { startFuzzRelay, type FuzzRelay } from './support/fuzz-relay.js';
import { httpRoutes, type FuzzRequest, type RouteFuzz } from './support/http-requests.js';
import { brokenInvariants } from './support/invariants.js';
import { legitMembersStillWork } from './support/legit.js';

/**
 * Every HTTP route of the relay, fuzzed in process (fastify `inject`, no sockets): structurally valid
 * bodies with hostile fields, wrong types, boundary sizes and raw junk, with valid and broken
 * credentials. The relay must never answer 5xx, every 4xx must be a typed error, and the database
 * must stay consistent.
 */

// 35,000 inputs per route under `pnpm test:slow` (630,000 over 18 properties), 120 in CI.
const RUNS_PER_ROUTE = scale(120, 35_000);

let relay: FuzzRelay;
let routes: RouteFuzz[];
const counter = new InputCounter();

beforeAll(async () => {
  relay = await startFuzzRelay();
  routes = httpRoutes(relay);
});

afterAll(async () => {
  console.log(counter.report('HTTP fuzz (in-process relay)'));
  await relay?.close();
});

async function inject(req: FuzzRequest) {
  return relay.app.inject({ method: req.method as 'GET', url: req.url, headers: req.headers, ...(req.payload === undefined ? {} : { payload: req.payload }) });
}

describe('HTTP fuzz: no 5xx, typed 4xx', () => {
  test('every route is covered', () => {
    expect(routes.map((r) => r.name)).toHaveLength(18);
  });

  // One property per route, so each gets the same number of inputs.
  test.each(Array.from({ length: 18 }, (_, i) => i))('route %i', async (i) => {
    const route = routes[i];
    if (!route) throw new Error(`no route ${i}`);
    await fc.assert(
      fc.asyncProperty(route.request, async (req) => {
        counter.add(route.name);
        const res = await inject(req);
        const problem = responseProblem(req.method, res.statusCode, res.body);
        if (problem !== undefined) throw new Error(`${route.name}: ${problem}\nrequest: ${JSON.stringify({ ...req, payload: String(req.payload).slice(0, 400) })}`);
      }),
      { numRuns: RUNS_PER_ROUTE, endOnFailure: true },
    );
  });

  test('afterwards the database is consistent and new members can register, send and receive', async () => {
    expect(brokenInvariants(relay.dataDir, { token: { value: relay.token, uses: relay.tokenUses, accountsBefore: relay.baselineAccounts } })).toEqual([]);
    await legitMembersStillWork(relay.url, relay.ctx);
  });
});
