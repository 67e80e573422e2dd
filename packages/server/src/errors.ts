import { ProtocolError } from '@aviso/protocol';

/**
 * The one mapper from anything thrown to what goes on the wire (HTTP body or ws error frame).
 * ProtocolErrors pass through. Fastify's own client errors (body too large, bad JSON, wrong
 * content type) get a protocol code. Anything else becomes INTERNAL with a generic message;
 * `internal` tells the caller to log the cause, which never reaches the client.
 */
export function toProtocolError(err: unknown): { error: ProtocolError; internal: boolean } {
  if (err instanceof ProtocolError) return { error: err, internal: false };
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
