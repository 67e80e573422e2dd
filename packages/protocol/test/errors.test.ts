import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ERROR_CODES, ErrorBody, errorBody, ProtocolError, type ErrorCode } from '../src/index.js';

describe('error codes', () => {
  const spec = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');

  test('every code is documented in docs/protocol.md with its status', () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(spec, `${code} missing from docs/protocol.md`).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${status}\\s*\\|`));
    }
  });

  test('the spec documents no code the table lacks', () => {
    const documented = [...spec.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*\d{3}\s*\|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  test('error bodies carry code, status-derived retryability and details', () => {
    const err = new ProtocolError('RATE_LIMITED', 'slow down', { details: { retryAfterSeconds: 30 } });
    expect(err.status).toBe(429);
    const body = errorBody(err);
    expect(ErrorBody.parse(body)).toEqual({
      error: { code: 'RATE_LIMITED', message: 'slow down', retryable: true, details: { retryAfterSeconds: 30 } },
    });
  });

  test('statuses are client errors except the relay\'s own failures (INTERNAL, STORAGE_UNAVAILABLE)', () => {
    const relayFailures: ErrorCode[] = ['INTERNAL', 'STORAGE_UNAVAILABLE'];
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const { status } = ERROR_CODES[code];
      expect(status >= 400 && status < 500, code).toBe(!relayFailures.includes(code));
      if (relayFailures.includes(code)) expect(ERROR_CODES[code].retryable, code).toBe(true);
    }
  });
});
