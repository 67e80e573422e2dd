/**
 * Command-line flags shared by the benchmarks: each parses `argv` with `strict: false` (the other
 * benchmarks' flags pass through), so these helpers read its own flags out of what parseArgs found.
 */
export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** A whole-number flag within `min`–`max`, or `fallback` when it is not given. */
export function intFlag(values: FlagValues, name: string, fallback: number, min: number, max: number): number {
  const value = values[name];
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`--${name} must be a whole number in ${min}–${max}, got ${String(value)}`);
  return n;
}

/** The flags among `own` that were given, as arguments again: a report's rerun command. */
export function givenFlags(values: FlagValues, own: Iterable<string>): string[] {
  const names = new Set(own);
  return Object.entries(values).flatMap(([k, v]) => (!names.has(k) ? [] : v === true ? [`--${k}`] : typeof v === 'string' ? [`--${k}`, v] : []));
}
