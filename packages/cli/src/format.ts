import type { AckCounts } from '@aviso/agent';

// The JSON views live in @aviso/agent (the app shows the same shapes); their names stay importable here.
export { ackCounts, alertJson, bySeverity, type AckCounts } from '@aviso/agent';

/** Ids are long; people and tables use their first 8 characters (any unique prefix resolves). */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** `45s`, `3m`, `2h 5m`, `1d 4h` — how long ago, rounded down. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

/** `2026-11-28 14:05 UTC`: one zone for everyone reading a shared screen or log. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** 60 digits as Signal shows them: 12 blocks of 5, four blocks per line. */
export function formatSafetyNumber(digits: string): string[] {
  const blocks = digits.match(/.{1,5}/g) ?? [];
  const lines: string[] = [];
  for (let i = 0; i < blocks.length; i += 4) lines.push(blocks.slice(i, i + 4).join(' '));
  return lines;
}

export function formatCounts(c: AckCounts): string {
  return `seen ${c.seen} · on my way ${c.onMyWay} · on scene ${c.onScene} · can't ${c.cannot} · confirmed ${c.confirmed} · disputed ${c.disputed}`;
}
