/**
 * Why a request never got an answer, from what Node's fetch throws (its `cause` carries the socket's
 * or TLS layer's code). A certificate the machine does not trust is not "the relay is down": the
 * member or operator has something to fix (a self-signed certificate, a proxy, a wrong clock), and
 * retrying will not help.
 */
export type NetworkFailure = 'tls-untrusted' | 'refused' | 'unreachable' | 'closed' | 'timeout' | 'other';

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function networkFailure(err: unknown): NetworkFailure {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'timeout';
  const code = causeCode(err);
  if (code === undefined) return 'other';
  if (TLS_CODES.has(code)) return 'tls-untrusted';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'unreachable';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'closed';
  return 'other';
}

function causeCode(err: unknown): string | undefined {
  // fetch wraps the socket error once or twice (TypeError → cause → cause).
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * A deadline for one request that keeps the process alive while it runs. `AbortSignal.timeout`'s
 * timer does not hold the event loop, and Node 20's fetch can wait forever on a peer that accepts the
 * connection and closes it at once: with nothing else pending, the process would exit in the middle
 * of the request (status 13, no message). This timer holds the loop, so the request fails with a
 * timeout instead.
 */
export function deadline(ms: number): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')), ms);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}
