import type { MessageKey, Params } from '@aviso/i18n/lite';
import type { Context } from './session.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
}

export interface Parsed {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

/**
 * One `aviso` command: how it is called, its help, and what it does. The catalog (catalog/) writes
 * these with a `run` that imports the command's code from commands/ when it is called.
 */
export interface Command {
  /** As typed: `invite`, `group create`. */
  name: string;
  /** Arguments after the name, for usage lines: `<group> [--uses N]`. */
  synopsis: string;
  /** One line for `aviso --help`, in the catalog (packages/i18n/src/en/cli-help.ts). */
  summary: MessageKey;
  /** Further help lines (options, what it prints), one per line of each message, in order. */
  details?: MessageKey | readonly MessageKey[];
  /** Placeholders of `details` (the kinds and limits, from the protocol). */
  detailParams?: Params;
  /** What `--json` prints: language-neutral, so written here and never translated. */
  json: readonly string[];
  options?: Record<string, OptionSpec>;
  /** Positional arguments accepted; `max` Infinity joins the rest (free text). */
  args: { min: number; max: number };
  run(ctx: Context, args: Parsed): Promise<void>;
  /** May run inside a `listen` that holds the profile (false: register, join, listen). */
  sharable: boolean;
}

export function stringOption(args: Parsed, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function flag(args: Parsed, name: string): boolean {
  return args.values[name] === true;
}
