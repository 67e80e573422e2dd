import { PrivateKey } from '@signalapp/libsignal-client';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ENDPOINTS, RegisterResponse } from '@aviso/protocol';
import { RelayRequestError } from '../../packages/client/src/errors.js';
import { RelayHttp, type FetchLike } from '../../packages/client/src/transport/http.js';
import { registrationBody } from '../support/raw-account.js';
import { RelayProcess } from '../support/relay.js';

// The SDK's one `call(endpoint, input)` against a relay process that registered its routes from the
// same endpoint table: a path, query or schema the two read differently fails here.

let relay: RelayProcess;
beforeAll(async () => {
  relay = await RelayProcess.start();
});
afterAll(async () => {
  await relay?.dispose();
});

/** A client for the relay that records each URL it asks for (the real fetch does the work). */
function relayOnLoopback() {
  const urls: string[] = [];
  const recording: FetchLike = (input, init) => {
    urls.push(input);
    return fetch(input, init);
  };
  const http = new RelayHttp({ baseUrl: relay.url, fetch: recording });
  return { http, urls };
}

async function registered() {
  const r = relayOnLoopback();
  const { identity: _identity, ...body } = registrationBody(await relay.createToken());
  const res = await r.http.call(ENDPOINTS.register, { body });
  r.http.credentials = { accountId: res.accountId, deviceId: res.deviceId, password: body.password };
  return { ...r, accountId: res.accountId, deviceId: res.deviceId };
}

const ecPreKey = (keyId: number) => ({ keyId, publicKey: Buffer.from(PrivateKey.generate().getPublicKey().serialize()).toString('base64') });

async function failure(p: Promise<unknown>): Promise<RelayRequestError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof RelayRequestError)) throw new Error(`expected a RelayRequestError, got ${String(err)}`);
  return err;
}

describe('RelayHttp.call against a real relay', () => {
  test('a JSON response is parsed with the entry schema (registration: JSON body, no account credentials)', async () => {
    const { accountId, deviceId } = await registered();
    expect(RegisterResponse.safeParse({ accountId, deviceId }).success).toBe(true);
  });

  test('a 204 resolves with no content, and the account route sent the device credentials', async () => {
    const { http } = await registered();
    await expect(http.call(ENDPOINTS.setKeys, { body: { preKeys: [ecPreKey(10), ecPreKey(11)] } })).resolves.toBeUndefined();
    await expect(http.call(ENDPOINTS.preKeyCount, {})).resolves.toMatchObject({ count: 2 });
  });

  test('path parameters are filled and percent-encoded into one segment each', async () => {
    const { http, urls, accountId } = await registered();
    const bundle = await http.call(ENDPOINTS.keyBundle, { params: { accountId, deviceId: '*' } });
    expect(bundle.devices.map((d) => d.deviceId)).toEqual([1]);
    expect(urls.at(-1)).toMatch(new RegExp(`/v1/keys/${accountId}/\\*$`));

    // A slash and a space inside a parameter stay inside its segment: the relay matches the route and
    // refuses the parameter (BAD_REQUEST), rather than finding no route for a longer path.
    const err = await failure(http.call(ENDPOINTS.keyBundle, { params: { accountId: 'a b/c', deviceId: 1 } }));
    expect(urls.at(-1)).toMatch(/\/v1\/keys\/a%20b%2Fc\/1$/);
    expect({ code: err.code, status: err.status, retryable: err.retryable }).toEqual({ code: 'BAD_REQUEST', status: 400, retryable: false });
  });

  test('a query is serialised in the order given', async () => {
    const { http, urls } = await registered();
    const err = await failure(http.call(ENDPOINTS.authCredentials, { query: { from: 1, to: 0 } }));
    expect(urls.at(-1)).toMatch(/\/v1\/certificate\/auth\/group\?from=1&to=0$/);
    expect(err.code).toBe('BAD_REQUEST');
  });

  test('a response the schema refuses is BAD_RESPONSE, not retryable', async () => {
    const { http } = relayOnLoopback();
    const strict = { ...ENDPOINTS.relayInfo, response: z.object({ notARelayField: z.literal(true) }) };
    const err = await failure(http.call(strict, {}));
    expect({ code: err.code, status: err.status, retryable: err.retryable }).toEqual({ code: 'BAD_RESPONSE', status: 200, retryable: false });
  });

  test("a relay error body keeps the relay's code and retryable flag", async () => {
    const { http } = relayOnLoopback();
    http.credentials = { accountId: '00000000-0000-4000-8000-000000000000', deviceId: 1, password: 'x'.repeat(32) };
    const err = await failure(http.call(ENDPOINTS.senderCertificate, {}));
    expect({ code: err.code, status: err.status, retryable: err.retryable }).toEqual({ code: 'UNAUTHORIZED', status: 401, retryable: false });
  });

  test('a route that needs the account refuses to go out without credentials', async () => {
    const { http, urls } = relayOnLoopback();
    await expect(http.call(ENDPOINTS.preKeyCount, {})).rejects.toThrow('request needs credentials');
    expect(urls).toEqual([]);
  });
});
