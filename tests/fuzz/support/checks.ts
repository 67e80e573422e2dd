import { ERROR_CODES, ErrorBody } from '@aviso/protocol';

/**
 * What every relay answer to a client must be, whatever the client sent: never a 5xx, and every 4xx
 * a typed error body whose code is in ERROR_CODES and matches the status. Returns the problem, or
 * undefined when the answer is fine.
 */
export function responseProblem(method: string, status: number, body: string): string | undefined {
  if (status >= 500) return `status ${status}: ${body.slice(0, 300)}`;
  if (status < 400) return undefined;
  if (method === 'HEAD') return undefined; // no body by definition
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return `status ${status} with a body that is not JSON: ${body.slice(0, 200)}`;
  }
  const parsed = ErrorBody.safeParse(json);
  if (!parsed.success) return `status ${status} with a body that is not an ErrorBody: ${body.slice(0, 200)}`;
  const { code, retryable } = parsed.data.error;
  const spec = ERROR_CODES[code];
  if (spec.status !== status) return `code ${code} sent with status ${status}, table says ${spec.status}`;
  if (spec.retryable !== retryable) return `code ${code} with retryable=${retryable}`;
  if (code === 'RATE_LIMITED') {
    const after = parsed.data.error.details?.retryAfterSeconds;
    if (typeof after !== 'number' || !(after >= 1)) return `RATE_LIMITED without details.retryAfterSeconds: ${body}`;
  }
  return undefined;
}

/** Inputs run, by property, printed at the end of a suite. */
export class InputCounter {
  private readonly counts = new Map<string, number>();
  add(name: string, n = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + n);
  }
  get total(): number {
    let t = 0;
    for (const n of this.counts.values()) t += n;
    return t;
  }
  report(title: string): string {
    const rows = [...this.counts].map(([k, n]) => `  ${k.padEnd(44)} ${n.toLocaleString('en')}`);
    return `${title}: ${this.total.toLocaleString('en')} inputs\n${rows.join('\n')}`;
  }
}
