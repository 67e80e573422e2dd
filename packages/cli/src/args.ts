import { usageError } from './errors.js';

const UNIT_SECONDS = { d: 86_400, h: 3600, m: 60, s: 1 } as const;

/** `7d`, `24h`, `30m`, `90s` → seconds (as the relay's own CLI takes them). */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d{1,9})([dhms])$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS] : 0;
  if (!(seconds > 0)) throw usageError(`${option} takes a duration like 30m, 4h or 7d (got "${text}")`);
  return seconds;
}

export function parseCount(text: string, option: string, max: number): number {
  const n = /^\d{1,9}$/.test(text.trim()) ? Number(text) : NaN;
  if (!(n >= 1 && n <= max)) throw usageError(`${option} takes a whole number from 1 to ${max} (got "${text}")`);
  return n;
}

export function oneOf<T extends string>(text: string, allowed: readonly T[], option: string): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw usageError(`${option} must be one of ${allowed.join(', ')} (got "${text}")`);
}

export function required(value: string | undefined, option: string, command: string): string {
  if (value === undefined || value.trim() === '') throw usageError(`${command} needs ${option} — see \`aviso ${command} --help\``);
  return value;
}

/** A text field checked against its protocol limit here, so the user gets a sentence, not a schema error. */
export function limited(value: string, max: number, what: string): string {
  if ([...value].length > max) throw usageError(`${what} is ${[...value].length} characters; the limit is ${max}`);
  return value;
}
