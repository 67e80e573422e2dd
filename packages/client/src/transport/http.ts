import { z } from 'zod';
import {
  basicCredentials,
  ErrorBody,
  ERROR_CODES,
  pathOf,
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  type EndpointSpec,
  type ErrorCode,
  type PathParamNames,
} from '@aviso/protocol';
import { RelayRequestError } from '../errors.js';
import { deadline, networkFailure } from './network-failure.js';

export interface Credentials {
  accountId: string;
  deviceId: number;
  password: string;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/**
 * The most of one response body the SDK reads, in bytes. Honest answers stay far below it: the
 * largest a 20,000-member group can produce with every member's profile and proof at the protocol's
 * size limits is under 100 MiB, typical ones are a few MiB, log fetches are paged, and V8 could not
 * hold a string much past 512 MiB anyway. The cap is for an address that is not a relay, or a
 * hostile one, streaming without end until the request's deadline, all of it held in memory.
 * Past it: BAD_RESPONSE.
 */
export const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

class ResponseTooLarge extends Error {}

/** The body as text, refused once it passes `max` bytes (declared or streamed), without reading the rest. */
async function boundedText(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw new ResponseTooLarge();
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function basicAuthHeader(c: Credentials): string {
  return `Basic ${Buffer.from(basicCredentials(c.accountId, c.deviceId, c.password), 'utf8').toString('base64')}`;
}

export interface HttpOptions {
  baseUrl: string;
  credentials?: Credentials | undefined;
  fetch?: FetchLike | undefined;
  timeoutMs?: number | undefined;
}

/**
 * What `call` needs besides the table entry. Path parameters and query values are what the caller
 * has (numbers stay numbers); the body is the JSON value, or the bytes for a raw-body entry.
 * `headers` are the credentials of a non-account auth kind (a group presentation, an invite password,
 * a group send token): when present, account credentials are not sent, so the relay never learns the
 * account behind a group request.
 */
export type CallInput<E extends EndpointSpec> = ParamsInput<E> &
  QueryInput<E> &
  BodyInput<E> & { readonly headers?: Readonly<Record<string, string>> | undefined };

type ParamsInput<E extends EndpointSpec> = [PathParamNames<E['path']>] extends [never]
  ? { readonly params?: undefined }
  : { readonly params: Readonly<Record<PathParamNames<E['path']>, string | number>> };
type QueryInput<E extends EndpointSpec> = E['query'] extends z.ZodObject
  ? { readonly query: { readonly [K in keyof z.output<E['query']>]: z.output<E['query']>[K] } }
  : { readonly query?: undefined };
type BodyInput<E extends EndpointSpec> = E['rawBody'] extends object
  ? { readonly body: Uint8Array }
  : E['body'] extends z.ZodType
    ? { readonly body: z.input<E['body']> }
    : { readonly body?: undefined };

/** JSON over fetch: Basic auth, timeouts, and relay error bodies mapped to RelayRequestError. */
export class RelayHttp {
  readonly #base: string;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;
  credentials: Credentials | undefined;

  constructor(opts: HttpOptions) {
    this.#base = opts.baseUrl.replace(/\/+$/, '');
    this.#fetch = opts.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = opts.timeoutMs ?? 15_000;
    this.credentials = opts.credentials;
  }

  /**
   * One route of the protocol's endpoint table: the request is built from the entry (method, path
   * with its parameters filled and percent-encoded, query, JSON or raw body) and the response parsed
   * with the entry's schema (a 204 has no body). Account credentials go only to routes that accept
   * them, and only when the caller passes no other credentials in `headers`.
   */
  call<E extends EndpointSpec>(endpoint: E, input: CallInput<E>): Promise<z.output<E['response']>> {
    const { params, query, body, headers } = input as {
      params?: Readonly<Record<string, string | number>>;
      query?: Readonly<Record<string, unknown>>;
      body?: unknown;
      headers?: Readonly<Record<string, string>>;
    };
    let path = pathOf(endpoint.path, params);
    if (query !== undefined) {
      const search = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined) search.append(k, String(v));
      const qs = search.toString();
      if (qs !== '') path += `?${qs}`;
    }
    let payload: unknown = undefined;
    if (endpoint.rawBody !== undefined) {
      if (!(body instanceof Uint8Array)) throw new TypeError(`${endpoint.method} ${endpoint.path} takes a raw body`);
      payload = new RawBody(new Uint8Array(body), endpoint.rawBody.contentType);
    } else if (endpoint.body !== undefined) payload = body;
    const auth = headers === undefined && endpoint.auth.some((alt) => alt.length === 1 && alt[0] === 'account');
    return this.#request(endpoint.method, path, payload, endpoint.response, auth, { ...headers }) as Promise<z.output<E['response']>>;
  }

  async #request<S extends z.ZodType>(method: string, path: string, body: unknown, schema: S, auth: boolean, extraHeaders: Record<string, string> = {}): Promise<z.output<S>> {
    const headers: Record<string, string> = { ...extraHeaders, accept: 'application/json', [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) };
    if (body instanceof RawBody) headers['content-type'] = body.contentType;
    else if (body !== undefined) headers['content-type'] = 'application/json';
    if (auth) {
      if (!this.credentials) throw new Error('request needs credentials');
      headers.authorization = basicAuthHeader(this.credentials);
    }
    let res: Response;
    let text: string;
    const limit = deadline(this.#timeoutMs);
    try {
      res = await this.#fetch(this.#base + path, {
        method,
        headers,
        ...(body === undefined ? {} : { body: body instanceof RawBody ? body.bytes : JSON.stringify(body) }),
        signal: limit.signal,
      });
      text = await boundedText(res, MAX_RESPONSE_BYTES).catch((err: unknown) => {
        if (err instanceof ResponseTooLarge) throw err;
        return '';
      });
    } catch (err) {
      if (err instanceof ResponseTooLarge) {
        throw new RelayRequestError({ code: 'BAD_RESPONSE', status: 0, retryable: false, message: `${method} ${path}: the response is larger than ${MAX_RESPONSE_BYTES} bytes, more than any relay sends` });
      }
      throw transportError(method, path, err);
    } finally {
      limit.clear();
    }
    if (!res.ok) throw toRelayError(method, path, res.status, text);
    const json: unknown = text === '' ? undefined : safeJson(text);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new RelayRequestError({ code: 'BAD_RESPONSE', status: res.status, retryable: false, message: `${method} ${path}: unexpected response body` });
    }
    return parsed.data;
  }
}

class RawBody {
  constructor(
    readonly bytes: Uint8Array<ArrayBuffer>,
    readonly contentType: string,
  ) {}
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Codes only the relay's own error body may carry. */
const NOT_INFERRED = new Set<ErrorCode>(['MALFORMED_FRAME', 'STORAGE_UNAVAILABLE']);

function toRelayError(method: string, path: string, status: number, text: string): RelayRequestError {
  const body = ErrorBody.safeParse(safeJson(text));
  if (body.success) {
    const e = body.data.error;
    return new RelayRequestError({ code: e.code, status, retryable: e.retryable, message: `${method} ${path}: ${e.message}`, details: e.details });
  }
  // No error body (a proxy, or a relay bug): infer the code from the status where it is unambiguous.
  // A bare 503 is a proxy with no relay behind it, not the relay's storage: it stays INTERNAL (retryable).
  const code = (Object.keys(ERROR_CODES) as ErrorCode[]).find((c) => ERROR_CODES[c].status === status && !NOT_INFERRED.has(c)) ?? 'INTERNAL';
  return new RelayRequestError({ code, status, retryable: status >= 500 || status === 429, message: `${method} ${path}: HTTP ${status}` });
}

/** A request that got no answer: timed out, refused, cut off, or a certificate this machine does not trust. */
function transportError(method: string, path: string, err: unknown): RelayRequestError {
  const failure = networkFailure(err);
  if (failure === 'timeout') return new RelayRequestError({ code: 'TIMEOUT', status: 0, retryable: true, message: `${method} ${path}: timed out` }, { cause: err });
  if (failure === 'tls-untrusted') {
    return new RelayRequestError(
      { code: 'TLS_UNTRUSTED', status: 0, retryable: false, message: `${method} ${path}: the relay's TLS certificate is not trusted by this machine` },
      { cause: err },
    );
  }
  return new RelayRequestError({ code: 'NETWORK_ERROR', status: 0, retryable: true, message: `${method} ${path}: network error (${failure})`, details: { failure } }, { cause: err });
}
