import fc from 'fast-check';

/**
 * Hostile inputs for the relay's trust boundaries: values of the wrong type, boundary sizes and ids,
 * unicode that breaks naive string handling, huge numbers, base64 that is almost right, and
 * structurally valid templates with a few fields swapped for any of those.
 */

/** Byte lengths around every size the protocol checks (keys, signatures, ids, envelopes). */
const BOUNDARY_BYTES = [0, 1, 15, 16, 17, 31, 32, 33, 34, 63, 64, 65, 96, 97, 98, 799, 800, 1568, 1569, 1570, 1600, 1601, 2048, 2049, 4096, 4097];

export const boundaryNumber = fc.constantFrom(
  0, -0, -1, 1, 2, 7, 8, 9, 126, 127, 128, 999, 1000, 1001, 16380, 16381, 0xffffff, 0x1000000, 2 ** 31 - 1, 2 ** 31, 2 ** 32,
  Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER, 1e21, 1e308, -1e308, 5e-324, 0.5, 1.5, 99.99,
);

export const nastyString = fc.constantFrom(
  '', ' ', '*', '0', '-1', 'null', 'undefined', 'true', '[]', '{}', '__proto__', 'constructor', 'prototype', 'toString',
  '\u0000', '\u0000abc', '\uFFFF', '\uD800', '\uDFFF', '\u202E', '\r\n', '%00', '%', '%zz', '../../etc/passwd', '\\', '"', "'",
  '💥', '🏳️‍🌈'.repeat(40), 'é'.normalize('NFD'), 'Ａ', 'ß', '\u2028', '1e309', 'NaN', 'Infinity', '0x10', ' 1 ', '１２３',
  '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
);

/** Valid base64 of a boundary length, base64 with one flaw, and strings that only look like base64. */
export const base64Junk: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom(...BOUNDARY_BYTES), fc.integer({ min: 0, max: 255 })).map(([n, fill]) => Buffer.alloc(n, fill).toString('base64')),
  fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('base64')),
  fc.uint8Array({ minLength: 1, maxLength: 80 }).map((b) => Buffer.from(b).toString('base64url')),
  fc.uint8Array({ minLength: 1, maxLength: 80 }).map((b) => Buffer.from(b).toString('base64').replace(/=+$/, '')),
  fc.tuple(fc.uint8Array({ minLength: 3, maxLength: 66 }), fc.constantFrom(' ', '\n', '=', '==', '===', '!', '\u00e9', '\u0000')).map(
    ([b, flaw]) => {
      const s = Buffer.from(b).toString('base64');
      const at = Math.floor(s.length / 2);
      return s.slice(0, at) + flaw + s.slice(at);
    },
  ),
  fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=') }),
);

/** A string long enough to cross a limit (kept rare: they cost the relay and the fuzzer time). */
export const longString = fc.constantFrom(129, 1025, 4097, 70_000, 300_000).map((n) => 'A'.repeat(n));

/** Any value a hostile client could put where a field is expected. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: boundaryNumber },
  { weight: 3, arbitrary: nastyString },
  { weight: 4, arbitrary: base64Junk },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], { type: null }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.array(base64Junk, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constant(Array.from({ length: 101 }, (_, i) => ({ keyId: i + 1, publicKey: 'AA==' }))) },
  { weight: 1, arbitrary: longString },
);

type Path = (string | number)[];

/** Every path to a value inside `value` (objects and arrays), the root excluded. */
export function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
}

type Mutation = { kind: 'set'; path: Path; value: unknown } | { kind: 'delete'; path: Path } | { kind: 'extra'; path: Path; key: string; value: unknown };

function apply(root: unknown, m: Mutation): unknown {
  const copy: unknown = structuredClone(root);
  const parentPath = m.kind === 'extra' ? m.path : m.path.slice(0, -1);
  let parent: unknown = copy;
  for (const k of parentPath) {
    if (typeof parent !== 'object' || parent === null) return copy; // an earlier mutation removed it
    parent = (parent as Record<string | number, unknown>)[k];
  }
  if (typeof parent !== 'object' || parent === null) return copy;
  const obj = parent as Record<string | number, unknown>;
  if (m.kind === 'extra') {
    // defineProperty: a plain assignment of "__proto__" would set the prototype, not a key.
    Object.defineProperty(obj, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
  } else {
    const key = m.path.at(-1);
    if (key === undefined) return copy;
    if (m.kind === 'delete') {
      if (Array.isArray(obj) && typeof key === 'number') obj.splice(key, 1);
      else delete obj[key];
    } else obj[key] = m.value;
  }
  return copy;
}

/**
 * `templates` (valid bodies) with zero to three fields replaced, deleted or added. Zero mutations
 * keeps a fully valid body in the mix, so the deep paths behind validation run too.
 */
export function mutated(templates: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc.constantFrom(...templates).chain((template) => {
    const paths = pathsOf(template);
    // Extra keys go on objects only: an array given a `constructor` key breaks the harness's own splice.
    const containers: Path[] = [[], ...paths.filter((p) => {
      let v: unknown = template;
      for (const k of p) v = (v as Record<string | number, unknown>)[k];
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    })];
    const noop: fc.Arbitrary<Mutation> = fc.constant({ kind: 'delete', path: ['x'] });
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      { weight: 5, arbitrary: paths.length ? fc.record({ kind: fc.constant('set' as const), path: fc.constantFrom(...paths), value: hostileValue }) : noop },
      { weight: 2, arbitrary: paths.length ? fc.record({ kind: fc.constant('delete' as const), path: fc.constantFrom(...paths) }) : noop },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('extra' as const),
          path: fc.constantFrom(...containers),
          key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'extra', 'type', ''), fc.string({ maxLength: 8 })),
          value: hostileValue,
        }),
      },
    );
    return fc.array(mutation, { maxLength: 3 }).map((ms) => ms.reduce<unknown>((acc, m) => apply(acc, m), template));
  });
}

/** Raw request bodies that are not JSON objects at all, or JSON only at first sight. */
export const junkBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.constantFrom('{', '{"a":', '[', 'null', '""', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '{"a":1,"a":2}', '\uFEFF{}', '{}garbage', '1e999999', '{"x":' + '['.repeat(5000) + ']'.repeat(5000) + '}'),
);

/** Percent-encodes any string as a client would put it in a URL (lone surrogates become U+FFFD). */
export function pct(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0').toUpperCase()}`)).join('');
}
