import { ProtocolError } from '@aviso/protocol';

/**
 * The one mapper from anything thrown to what goes on the wire (HTTP body or ws error frame).
 * ProtocolErrors pass through. Fastify's own client errors (body too large, bad JSON, wrong
 * content type) get a protocol code. Storage that cannot be written (disk full, read-only, I/O
 * error) is STORAGE_UNAVAILABLE, so clients retry later instead of treating it as a relay bug.
 * Anything else becomes INTERNAL with a generic message; `internal` tells the caller to log the
 * cause, which never reaches the client.
 */
export function toProtocolError(err: unknown): { error: ProtocolError; internal: boolean } {
  if (err instanceof ProtocolError) return { error: err, internal: false };
  // Logged like an internal failure: the operator has to free space or fix the mount.
  if (isStorageUnavailable(err)) return { error: new ProtocolError('STORAGE_UNAVAILABLE', 'relay storage is unavailable; retry later'), internal: true };
  const status = frameworkClientStatus(err);
  if (status !== undefined) {
    const message = err instanceof Error ? err.message : 'bad request';
    if (status === 413) return { error: new ProtocolError('PAYLOAD_TOO_LARGE', 'request body too large'), internal: false };
    if (status === 404) return { error: new ProtocolError('NOT_FOUND', message), internal: false };
    return { error: new ProtocolError('BAD_REQUEST', message), internal: false };
  }
  return { error: new ProtocolError('INTERNAL', 'internal error'), internal: true };
}

/** The 4xx status of an error raised by fastify itself (codes `FST_*`, or its JSON parser's SyntaxError). */
function frameworkClientStatus(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined;
  const { code, statusCode } = err as { code?: unknown; statusCode?: unknown };
  const fromFastify = (typeof code === 'string' && code.startsWith('FST_')) || err instanceof SyntaxError;
  if (!fromFastify || typeof statusCode !== 'number' || statusCode < 400 || statusCode > 499) return undefined;
  return statusCode;
}

/** SQLite result codes (better-sqlite3's `SqliteError.code`) and errnos that mean the data folder cannot be written. */
const STORAGE_SQLITE = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN)(_[A-Z_]+)?$/;
const STORAGE_ERRNO = new Set(['ENOSPC', 'EROFS', 'EFBIG', 'EDQUOT', 'EIO']);

/** Whether `err` (or its cause) says the relay's storage refuses writes: disk full, read-only, I/O error. */
export function isStorageUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (STORAGE_SQLITE.test(code) || STORAGE_ERRNO.has(code))) return true;
  }
  return false;
}
