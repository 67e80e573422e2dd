const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;

/** `7d`, `24h`, `30m`, `3600s` → milliseconds; undefined for anything else (including zero). */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,9})([dhms])$/.exec(text.trim());
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms > 0 ? ms : undefined;
}
