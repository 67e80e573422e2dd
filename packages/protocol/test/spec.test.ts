import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import * as accounts from '../src/api/accounts.js';
import * as certificates from '../src/api/certificates.js';
import * as groupSend from '../src/api/group-send.js';
import * as keys from '../src/api/keys.js';
import * as messages from '../src/api/messages.js';
import * as relayInfo from '../src/api/relay-info.js';
import * as groupSchemas from '../src/groups/schemas.js';
import {
  ClientFrame,
  CLOSE_CODES,
  ErrorBody,
  GROUP_HEADERS,
  GROUP_SEND,
  ID_BOUNDS,
  LIMITS,
  PADDING_BLOCK_BYTES,
  PROTOCOL_HEADER,
  ROUTES,
  ServerFrame,
  WS_SUBPROTOCOL,
} from '../src/index.js';

/**
 * docs/protocol.md is the specification: every route, frame type, HTTP body (with its fields) and
 * limit the code defines must be in it, and it must document none the code lacks. (The error table
 * is checked in errors.test.ts.) Each check returns what is wrong, so the tests can also show that a
 * doc with a gap fails.
 */
const SPEC = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');

// ---- routes ----

const routePatterns = (): string[] =>
  Object.values(ROUTES).map((r) => (typeof r === 'string' ? r : r.pattern));

/** Paths of the rows of the HTTP route table: "| `GET /v1/keys/:accountId/:deviceId` | …". */
function documentedRoutes(doc: string): string[] {
  return [...doc.matchAll(/^\|\s*`(?:GET|PUT|POST|DELETE|PATCH) (\/[^`?\s]*)[^`]*`\s*\|/gm)].map((m) => m[1]!);
}

function routeProblems(doc: string): string[] {
  const documented = new Set(documentedRoutes(doc));
  const known = new Set(routePatterns());
  return [
    ...[...known].filter((p) => !documented.has(p)).map((p) => `route ${p} is not in the HTTP table`),
    ...[...documented].filter((p) => !known.has(p)).map((p) => `documented route ${p} is not in ROUTES`),
  ];
}

// ---- frames ----

const literalType = (o: z.ZodObject): string => (o.shape.type as z.ZodLiteral<string>).value;

function frameProblems(doc: string): string[] {
  const rows = new Map([...doc.matchAll(/^\|\s*`([a-z][a-z.]*)`\s*\|\s*(relay → client|client → relay)\s*\|/gm)].map((m) => [m[1]!, m[2]!]));
  const expected = new Map<string, string>([
    ...ServerFrame.options.map((o) => [literalType(o), 'relay → client'] as const),
    ...ClientFrame.options.map((o) => [literalType(o), 'client → relay'] as const),
  ]);
  const problems: string[] = [];
  for (const [type, direction] of expected) {
    if (!rows.has(type)) problems.push(`frame ${type} is not in the frame table`);
    else if (rows.get(type) !== direction) problems.push(`frame ${type} is documented as ${rows.get(type)}, not ${direction}`);
  }
  for (const type of rows.keys()) if (!expected.has(type)) problems.push(`documented frame ${type} is not a frame type`);
  return problems;
}

// ---- limits ----

const CONSTANTS: Record<string, number> = { ...LIMITS, ...ID_BOUNDS, PADDING_BLOCK_BYTES };

function section(doc: string, heading: string): string {
  const start = doc.indexOf(`\n## ${heading}\n`);
  if (start < 0) return '';
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

function limitProblems(doc: string): string[] {
  const rows = new Map(
    [...section(doc, 'Limits').matchAll(/^\|\s*`(\w+)`\s*\|\s*([\d,]+)/gm)].map((m) => [m[1]!, Number(m[2]!.replace(/,/g, ''))]),
  );
  const problems: string[] = [];
  for (const [name, value] of Object.entries(CONSTANTS)) {
    if (!rows.has(name)) problems.push(`limit ${name} is not in the Limits table`);
    else if (rows.get(name) !== value) problems.push(`limit ${name} is documented as ${rows.get(name)}, the code says ${value}`);
  }
  for (const name of rows.keys()) if (!(name in CONSTANTS)) problems.push(`documented limit ${name} is not in limits.ts`);
  return problems;
}

// ---- HTTP bodies ----

/** Every wire schema: all of api/*.ts, the group HTTP bodies, and the error body. */
function wireSchemas(): Map<string, z.ZodType> {
  const out = new Map<string, z.ZodType>();
  const add = (mod: Record<string, unknown>, keep: (name: string) => boolean = () => true) => {
    for (const [name, value] of Object.entries(mod)) if (value instanceof z.ZodType && keep(name)) out.set(name, value);
  };
  for (const mod of [accounts, certificates, groupSend, keys, messages, relayInfo]) add(mod);
  add(groupSchemas, (name) => /(Request|Response|Query)$/.test(name) || name === 'GroupChange' || name === 'GroupChangeRecord');
  out.set('ErrorBody', ErrorBody);
  return out;
}

/** Field names of an object schema, nested objects and arrays of objects included. */
function fieldNames(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodOptional) return fieldNames(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodArray) return fieldNames(schema.element as z.ZodType);
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).flatMap(([key, value]) => [key, ...fieldNames(value)]);
}

/** The text of every inline code span and fenced block: where field names are written. */
function codeText(doc: string): string {
  const fenced = [...doc.matchAll(/^```[a-z]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  const inline = [...doc.replace(/^```[a-z]*\n[\s\S]*?^```/gm, '').matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  return [...fenced, ...inline].join('\n');
}

function bodyProblems(doc: string): string[] {
  const code = codeText(doc);
  const problems: string[] = [];
  for (const [name, schema] of wireSchemas()) {
    if (!doc.includes(`\`${name}\``)) problems.push(`body ${name} is not named in docs/protocol.md`);
    for (const field of new Set(fieldNames(schema))) {
      if (!new RegExp(`\\b${field}\\b`).test(code)) problems.push(`field ${name}.${field} is not in docs/protocol.md`);
    }
  }
  return problems;
}

describe('docs/protocol.md covers the protocol package', () => {
  test('every route in routes.ts is in the HTTP table, and nothing else is', () => {
    expect(routePatterns().length).toBeGreaterThanOrEqual(15);
    expect(routeProblems(SPEC)).toEqual([]);
  });

  test('every frame type in frames.ts is in the frame table with its direction, and nothing else is', () => {
    expect(frameProblems(SPEC)).toEqual([]);
  });

  test('every constant in limits.ts is in the Limits table with its value, and nothing else is', () => {
    expect(limitProblems(SPEC)).toEqual([]);
  });

  test('every HTTP body schema is named, with every field', () => {
    expect(wireSchemas().size).toBeGreaterThanOrEqual(35);
    expect(bodyProblems(SPEC)).toEqual([]);
  });

  test('headers, media type, subprotocol and close codes are documented', () => {
    const code = codeText(SPEC);
    for (const name of [GROUP_SEND.tokenHeader, GROUP_SEND.contentType, GROUP_HEADERS.presentation, GROUP_HEADERS.invitePassword, WS_SUBPROTOCOL, PROTOCOL_HEADER]) {
      expect(code.includes(name), `${name} is not in docs/protocol.md`).toBe(true);
    }
    const closeCodes = SPEC.slice(SPEC.indexOf('Close codes'));
    for (const [name, code] of Object.entries(CLOSE_CODES)) expect(closeCodes, name).toMatch(new RegExp(`\\b${code}\\b`));
  });
});

describe('the coverage checks catch a gap', () => {
  const without = (line: RegExp) => SPEC.split('\n').filter((l) => !line.test(l)).join('\n');

  test('a missing or invented route', () => {
    expect(routeProblems(without(/^\| `GET \/v1\/groups\/:groupId\/endorsements`/))).toEqual(['route /v1/groups/:groupId/endorsements is not in the HTTP table']);
    expect(routeProblems(`${SPEC}\n| \`GET /v1/secret\` | none | → |\n`)).toEqual(['documented route /v1/secret is not in ROUTES']);
  });

  test('a missing frame or a wrong direction', () => {
    expect(frameProblems(without(/^\| `queue\.overflow`/))).toEqual(['frame queue.overflow is not in the frame table']);
    expect(frameProblems(SPEC.replace('| `ping` | client → relay |', '| `ping` | relay → client |'))).toEqual([
      'frame ping is documented as relay → client, not client → relay',
    ]);
  });

  test('a missing limit or a wrong value', () => {
    expect(limitProblems(without(/^\| `maxGroupProofBytes`/))).toEqual(['limit maxGroupProofBytes is not in the Limits table']);
    expect(limitProblems(SPEC.replace('| `maxStoredPreKeys` | 1,000 |', '| `maxStoredPreKeys` | 2,000 |'))).toEqual([
      'limit maxStoredPreKeys is documented as 2000, the code says 1000',
    ]);
  });

  test('a missing body or field', () => {
    expect(bodyProblems(SPEC.replaceAll('`MintTokenRequest`', 'the request'))).toEqual(['body MintTokenRequest is not named in docs/protocol.md']);
    expect(bodyProblems(SPEC.replaceAll('pqCount', 'pq'))).toEqual(['field PreKeyCount.pqCount is not in docs/protocol.md']);
  });
});
