import { ENDPOINTS } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { RelayRequestError } from '../src/errors.js';
import { RelayHttp, type FetchLike } from '../src/transport/http.js';

const answer = (status: number, body: string): FetchLike => async () => new Response(body, { status });

async function failure(fetch: FetchLike): Promise<RelayRequestError> {
  const http = new RelayHttp({ baseUrl: 'http://relay.invalid', fetch });
  const err = await http.call(ENDPOINTS.relayInfo, {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof RelayRequestError)) throw new Error(`expected a RelayRequestError, got ${String(err)}`);
  return err;
}

describe('a relay whose storage is unavailable', () => {
  test('its typed 503 body becomes STORAGE_UNAVAILABLE, retryable', async () => {
    const body = JSON.stringify({ error: { code: 'STORAGE_UNAVAILABLE', message: 'relay storage is unavailable; retry later', retryable: true } });
    const err = await failure(answer(503, body));
    expect({ code: err.code, status: err.status, retryable: err.retryable }).toEqual({ code: 'STORAGE_UNAVAILABLE', status: 503, retryable: true });
  });

  test('a bare 503 (a proxy with no relay behind it) is not mistaken for it: INTERNAL, retryable', async () => {
    const err = await failure(answer(503, '<html>Service Unavailable</html>'));
    expect({ code: err.code, status: err.status, retryable: err.retryable }).toEqual({ code: 'INTERNAL', status: 503, retryable: true });
  });
});
