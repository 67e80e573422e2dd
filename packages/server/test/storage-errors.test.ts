import Database from 'better-sqlite3';
import { ErrorBody, ProtocolError } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { buildApp, createContext, createLogger } from '../src/index.js';
import { isStorageUnavailable, toProtocolError } from '../src/errors.js';
import { LogSink, ManualClock, testConfig } from './helpers.js';

/** A real better-sqlite3 error carrying `code`, as SQLite raises it. */
function sqliteError(code: string): Error {
  const err = new Database.SqliteError(`simulated ${code}`, code);
  return err;
}

describe('storage failures map to STORAGE_UNAVAILABLE', () => {
  test.each(['SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_IOERR', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_FSYNC', 'SQLITE_IOERR_SHMSIZE', 'SQLITE_CANTOPEN'])('%s', (code) => {
    const { error, internal } = toProtocolError(sqliteError(code));
    expect(error).toBeInstanceOf(ProtocolError);
    expect({ code: error.code, status: error.status, retryable: error.retryable }).toEqual({ code: 'STORAGE_UNAVAILABLE', status: 503, retryable: true });
    expect(internal).toBe(true); // the operator must hear about it
  });

  test.each(['ENOSPC', 'EROFS', 'EFBIG', 'EDQUOT', 'EIO'])('errno %s (file writes outside SQLite), also as a cause', (code) => {
    const direct = Object.assign(new Error('write failed'), { code });
    expect(toProtocolError(direct).error.code).toBe('STORAGE_UNAVAILABLE');
    expect(isStorageUnavailable(new Error('wrapped', { cause: direct }))).toBe(true);
  });

  test.each(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_BUSY', 'SQLITE_ERROR', 'SQLITE_FULLY_INVENTED', 'ENOENT'])('%s stays INTERNAL', (code) => {
    expect(toProtocolError(sqliteError(code)).error.code).toBe('INTERNAL');
  });

  test('a plain error, a string and a cause cycle are not storage failures', () => {
    expect(isStorageUnavailable(new Error('x'))).toBe(false);
    expect(isStorageUnavailable('SQLITE_FULL')).toBe(false);
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(isStorageUnavailable(a)).toBe(false);
  });

  test('over HTTP: 503 with the typed body and a message that names no file', async () => {
    const logs = new LogSink();
    const ctx = createContext(testConfig(), { logger: createLogger('debug', logs.stream), clock: new ManualClock(), sweepIntervalMs: 0 });
    const app = buildApp(ctx);
    app.get('/test/full', async () => {
      throw sqliteError('SQLITE_FULL');
    });
    try {
      const res = await app.inject({ method: 'GET', url: '/test/full' });
      expect(res.statusCode).toBe(503);
      const body = ErrorBody.parse(res.json());
      expect(body.error).toEqual({ code: 'STORAGE_UNAVAILABLE', message: 'relay storage is unavailable; retry later', retryable: true });
      expect(res.body).not.toMatch(/sqlite|simulated|\//i);
      expect(logs.lines.join('\n')).toMatch(/simulated SQLITE_FULL/);
    } finally {
      await app.close();
      ctx.close();
    }
  });
});
