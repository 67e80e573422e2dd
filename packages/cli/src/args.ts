import { usageError } from './cli-error.js';
import { say, type MessageKey } from './lang.js';

const UNIT_SECONDS = { d: 86_400, h: 3600, m: 60, s: 1 } as const;

/** `7d`, `24h`, `30m`, `90s` → seconds (as the relay's own CLI takes them). */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d{1,9})([dhms])$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS] : 0;
  if (!(seconds > 0)) throw usageError('cli.usage.duration', { option, text });
  return seconds;
}

export function parseCount(text: string, option: string, max: number): number {
  const n = /^\d{1,9}$/.test(text.trim()) ? Number(text) : NaN;
  if (!(n >= 1 && n <= max)) throw usageError('cli.usage.count', { option, max, text });
  return n;
}

/** `text` if it is one of `allowed`; else a usage error listing them (or `shown`: the words people may type). */
export function oneOf<T extends string>(text: string, allowed: readonly T[], option: string, shown?: MessageKey): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw usageError('cli.usage.oneOf', { option, allowed: shown ? say(shown) : allowed.join(', '), text });
}

export function required(value: string | undefined, option: string, command: string): string {
  if (value === undefined || value.trim() === '') throw usageError('cli.usage.required', { command, option });
  return value;
}

/**
 * A text field checked against its protocol limit here, so the user gets a sentence, not a schema
 * error. `what` names the field (`cli.what.title`: "the title").
 */
export function limited(value: string, max: number, what: MessageKey): string {
  const length = [...value].length;
  if (length > max) throw usageError('cli.usage.tooLong', { what: say(what), length, max });
  return value;
}
