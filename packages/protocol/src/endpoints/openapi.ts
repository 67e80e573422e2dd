import { z } from 'zod';
import { ERROR_CODES, ErrorBody, type ErrorCode } from '../errors.js';
import { GROUP_SEND } from '../api/group-send.js';
import { GROUP_HEADERS } from '../groups/schemas.js';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../version.js';
import { errorsOf, pathParamNames, type AuthKind, type EndpointSpec } from './define.js';

type Json = Record<string, unknown>;

/** OpenAPI security schemes for the credentials sent in headers; a registration token travels in the body and has none. */
const SECURITY_SCHEMES: Partial<Record<AuthKind, Json>> = {
  account: { type: 'http', scheme: 'basic', description: 'base64("{accountId}.{deviceId}:{password}")' },
  groupPresentation: { type: 'apiKey', in: 'header', name: GROUP_HEADERS.presentation, description: 'base64 zkgroup AuthCredentialPresentation for this group' },
  invitePassword: { type: 'apiKey', in: 'header', name: GROUP_HEADERS.invitePassword, description: 'base64 relay password derived from an invite secret' },
  groupSendToken: { type: 'apiKey', in: 'header', name: GROUP_SEND.tokenHeader, description: 'base64 GroupSendFullToken for the exact recipient accounts' },
};

/** JSON Schema (draft 2020-12, OpenAPI 3.1's dialect) of what a side sends: requests as input, responses as output. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  // Refinements and transforms have no JSON Schema; the validator in the relay still applies them.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

function parameters(e: EndpointSpec): Json[] {
  const out: Json[] = [];
  const names = pathParamNames(e.path);
  for (const name of names) {
    const field = e.params?.shape[name] as z.ZodType | undefined;
    out.push({ name, in: 'path', required: true, schema: field === undefined ? { type: 'string' } : jsonSchema(field, 'input') });
  }
  if (e.query !== undefined) {
    const query = jsonSchema(e.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      out.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema });
    }
  }
  if (e.versionFree !== true) {
    out.push({ name: PROTOCOL_HEADER, in: 'header', required: false, description: 'The protocol version the client speaks; another version is refused with 426.', schema: { type: 'string' } });
  }
  return out;
}

function responses(e: EndpointSpec): Json {
  const out: Json = {};
  const media = e.html === true ? 'text/html' : 'application/json';
  out[String(e.status)] = e.status === 204 ? { description: 'No content' } : { description: 'OK', content: { [media]: { schema: jsonSchema(e.response, 'output') } } };
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorsOf(e)) byStatus.set(ERROR_CODES[code].status, [...(byStatus.get(ERROR_CODES[code].status) ?? []), code]);
  const errorSchema = jsonSchema(ErrorBody, 'output');
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = { description: codes.join(', '), content: { 'application/json': { schema: errorSchema } } };
  }
  return out;
}

function operation(name: string, e: EndpointSpec): Json {
  const op: Json = {
    operationId: name,
    summary: e.summary,
    parameters: parameters(e),
    responses: responses(e),
    security: e.auth.map((alt) => Object.fromEntries(alt.filter((k) => SECURITY_SCHEMES[k] !== undefined).map((k) => [k, []]))),
    'x-aviso-auth': e.auth,
    'x-aviso-errors': errorsOf(e),
  };
  if (e.body !== undefined) op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(e.body, 'input') } } };
  if (e.rawBody !== undefined) {
    op.requestBody = { required: true, content: { [e.rawBody.contentType]: { schema: { type: 'string', contentMediaType: e.rawBody.contentType, maxLength: e.rawBody.maxBytes } } } };
  }
  return op;
}

/** `/v1/keys/:accountId` → `/v1/keys/{accountId}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/**
 * The OpenAPI 3.1 document of an endpoint table. Pure: the relay serves it, and tests check it
 * against a validator and against the routes the relay registers.
 */
export function openApiDocument(endpoints: Readonly<Record<string, EndpointSpec>>, info: { title?: string; version?: string } = {}): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const [name, e] of Object.entries(endpoints)) {
    const item = (paths[openApiPath(e.path)] ??= {});
    item[e.method.toLowerCase()] = operation(name, e);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: info.title ?? 'Aviso relay',
      version: info.version ?? `protocol-${PROTOCOL_VERSION}`,
      description: 'Generated from the endpoint table of @aviso/protocol. Non-2xx bodies are ErrorBody; docs/protocol.md is the specification.',
    },
    paths,
    components: { securitySchemes: SECURITY_SCHEMES },
  };
}
