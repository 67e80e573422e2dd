import type { z } from 'zod';
import type { ErrorCode } from '../errors.js';

export type HttpMethod = 'GET' | 'PUT' | 'POST';

/**
 * What a route reads to decide who may call it. The relay's HTTP hooks and services are the truth;
 * each kind names one of them:
 * - `none`: anyone (relay info, health, this document).
 * - `account`: `Authorization: Basic` device credentials (`requireDevice`).
 * - `registrationToken`: the operator's or a member's token inside the JSON body (registration).
 * - `groupPresentation`: the `aviso-group-auth` zkgroup presentation; never account credentials.
 * - `invitePassword`: the `aviso-invite-password` header derived from an invite secret.
 * - `groupSendToken`: the `aviso-group-send-token` header; never account credentials.
 */
export const AUTH_KINDS = ['none', 'account', 'registrationToken', 'groupPresentation', 'invitePassword', 'groupSendToken'] as const;
export type AuthKind = (typeof AUTH_KINDS)[number];

/**
 * One route of the relay, schema first: the relay registers it, the SDK calls it and the OpenAPI
 * document is generated from it. `auth` lists the alternatives a caller may present, each a set of
 * credentials sent together (OpenAPI's `security` has the same shape). `errors` are the codes the
 * route's own checks raise; `errorsOf` adds the ones every route may return.
 */
export interface EndpointSpec {
  readonly method: HttpMethod;
  /** The fastify pattern: `:name` segments are path parameters. */
  readonly path: string;
  readonly summary: string;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  /** A JSON body. */
  readonly body?: z.ZodType;
  /** A raw body instead of JSON (group sends), with its own size limit. */
  readonly rawBody?: { readonly contentType: string; readonly maxBytes: number };
  /** 204 responses have no body. */
  readonly status: 200 | 204;
  readonly response: z.ZodType;
  readonly auth: readonly (readonly AuthKind[])[];
  readonly errors: readonly ErrorCode[];
  /** Served whatever protocol version the request names, so an old client can learn the relay's. */
  readonly versionFree?: boolean;
  /**
   * A page for people's browsers (`text/html`), not a JSON call: the SDK never calls it, and the
   * OpenAPI document describes its 200 as HTML. `response` is then the page as a string.
   */
  readonly html?: true;
}

/** Keeps the literal path and schema types of an entry (for typed calls) while checking its shape. */
export function defineEndpoint<const E extends EndpointSpec>(e: E): E {
  return e;
}

/** Codes any route may return whatever its own checks: a malformed request the router refuses, an unnamed protocol version, storage and internal failures. */
export function errorsOf(e: EndpointSpec): ErrorCode[] {
  const common: ErrorCode[] = ['BAD_REQUEST', ...(e.versionFree === true ? [] : (['UNSUPPORTED_VERSION'] as const)), 'INTERNAL', 'STORAGE_UNAVAILABLE'];
  if (e.body !== undefined || e.rawBody !== undefined) common.push('PAYLOAD_TOO_LARGE');
  return [...new Set([...e.errors, ...common])];
}

/** `"/v1/keys/:accountId/:deviceId"` → `"accountId" | "deviceId"`. */
export type PathParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | PathParamNames<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** Names of a pattern's path parameters, in order. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] as string);
}

/** Fills a pattern's path parameters, each percent-encoded. */
export function pathOf(path: string, params: Readonly<Record<string, string | number>> = {}): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`missing path parameter ${name} for ${path}`);
    return encodeURIComponent(String(value));
  });
}
