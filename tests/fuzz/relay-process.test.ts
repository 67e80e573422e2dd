import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RelayProcess } from '../support/relay.js';
import { LegitPair } from '../support/legit-pair.js';
import { scale } from '../support/scale.js';
import { InputCounter, responseProblem } from './support/checks.js';
import { FrameFuzzer } from './support/frame-fuzzer.js';
import { frameInput } from './support/frames.js';
import { FUZZ_ENV, startRemoteFuzzRelay, type FuzzRelay } from './support/fuzz-relay.js';
import { httpRoutes, type FuzzRequest, type RouteFuzz } from './support/http-requests.js';
import { brokenInvariants } from './support/invariants.js';

/**
 * The in-process fuzzers' generators, pointed at a real relay process (`npm start`'s code path, real
 * sockets, real SIGTERM): the same answers must come back over the wire, the process must stay up,
 * and its database must be consistent afterwards.
 */

const RUNS_PER_ROUTE = scale(10, 1_000);
const FRAME_BATCHES = scale(10, 1_000);

let process_: RelayProcess;
let relay: FuzzRelay;
let routes: RouteFuzz[];
const counter = new InputCounter();

beforeAll(async () => {
  process_ = await RelayProcess.start({ env: FUZZ_ENV });
  relay = await startRemoteFuzzRelay(process_);
  routes = httpRoutes(relay);
});

afterAll(async () => {
  console.log(counter.report('Fuzz against a real relay process'));
  await process_?.dispose();
});

async function send(req: FuzzRequest): Promise<{ status: number; body: string } | undefined> {
  let res: Response;
  try {
    // Concatenated, not resolved: a path like `//host/x` must stay a path, as it is on the wire.
    res = await fetch(`${relay.url}${req.url}`, { method: req.method, headers: req.headers, ...(req.payload === undefined ? {} : { body: req.payload }) });
  } catch (err) {
    // fetch itself refuses some requests (a header value it will not encode): nothing reached the relay.
    if (err instanceof TypeError && !String(err.cause ?? '').includes('ECONN')) return undefined;
    throw err;
  }
  return { status: res.status, body: await res.text() };
}

describe('fuzzing a real relay process', () => {
  test('every HTTP route: no 5xx, typed 4xx', async () => {
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(route.request, async (req) => {
          const res = await send(req);
          if (res === undefined) return;
          counter.add(`http: ${route.name}`);
          const problem = responseProblem(req.method, res.status, res.body);
          if (problem !== undefined) throw new Error(`${route.name}: ${problem}\n${JSON.stringify({ ...req, payload: String(req.payload).slice(0, 300) })}`);
        }),
        { numRuns: RUNS_PER_ROUTE, endOnFailure: true },
      );
    }
  });

  test('WebSocket frames: typed errors, documented closes', async () => {
    const fuzzer = new FrameFuzzer(relay, counter);
    await fc.assert(fc.asyncProperty(fc.array(frameInput, { minLength: 1, maxLength: 20 }), (batch) => fuzzer.run(batch)), { numRuns: FRAME_BATCHES, endOnFailure: true });
    fuzzer.close();
  });

  test('the process is still up, its database consistent, and new members are served', async () => {
    expect(process_.running).toBe(true);
    expect(brokenInvariants(process_.dataDir, { token: { value: relay.token, uses: relay.tokenUses, accountsBefore: relay.baselineAccounts } })).toEqual([]);
    const pair = await LegitPair.create(relay.url, relay.token, relay.token);
    try {
      await pair.exchanges(3);
    } finally {
      pair.close();
    }
  });
});
