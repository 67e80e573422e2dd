import type { AckCounts } from '@aviso/agent';
import { age } from '@aviso/i18n/lite';
import { ACK_STATUSES, ALERT_KINDS, SEVERITIES } from '@aviso/protocol/constants';
import { lang, say } from './lang.js';

// The JSON views live in @aviso/agent (the app shows the same shapes); their names stay importable here.
export { ackCounts, alertJson, bySeverity, type AckCounts } from '@aviso/agent';

type Kind = (typeof ALERT_KINDS)[number];
type Severity = (typeof SEVERITIES)[number];
type AckStatus = (typeof ACK_STATUSES)[number];

/** Ids are long; people and tables use their first 8 characters (any unique prefix resolves). */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** "3 min ago" / "hace 3 min": how long ago, in the terminal's language (Intl.RelativeTimeFormat). */
export function formatAge(ms: number): string {
  return age(lang(), ms);
}

// One formatter each: the board redraws every second.
let dates: Intl.DateTimeFormat | undefined;
let clocks: Intl.DateTimeFormat | undefined;

/**
 * `Nov 28, 2026, 2:05 PM PST` / `28 nov 2026, 14:05 PST`: a date and time in the terminal's language
 * and local time zone (TZ), with the zone named, so a shared screen or log is never ambiguous.
 */
export function formatTime(ms: number): string {
  dates ??= new Intl.DateTimeFormat(lang(), { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
  return dates.format(ms);
}

/** `2:05 PM` / `14:05`: the time of day in the local time zone, for lines that already say the date. */
export function formatClock(ms: number): string {
  clocks ??= new Intl.DateTimeFormat(lang(), { hour: 'numeric', minute: '2-digit' });
  return clocks.format(ms);
}

/** 60 digits as Signal shows them: 12 blocks of 5, four blocks per line. */
export function formatSafetyNumber(digits: string): string[] {
  const blocks = digits.match(/.{1,5}/g) ?? [];
  const lines: string[] = [];
  for (let i = 0; i < blocks.length; i += 4) lines.push(blocks.slice(i, i + 4).join(' '));
  return lines;
}

export function formatCounts(c: AckCounts): string {
  return say('cli.counts', { ...c });
}

/** An alert kind as people read it: "Raid" / "Redada" (the app's own words, from the catalog). */
export function kindLabel(kind: string): string {
  return (ALERT_KINDS as readonly string[]).includes(kind) ? say(`kind.${kind as Kind}`) : kind;
}

/** A severity in capitals, as lists and the board show it: "CRITICAL" / "MUY GRAVE". */
export function severityLabel(severity: string): string {
  return ((SEVERITIES as readonly string[]).includes(severity) ? say(`severity.${severity as Severity}`) : severity).toLocaleUpperCase(lang());
}

/** An answer to an alert as people read it: "On my way" / "Voy en camino". */
export function ackLabel(status: string): string {
  return (ACK_STATUSES as readonly string[]).includes(status) ? say(`ack.${status as AckStatus}`) : status;
}

/** The widest kind label in this language, so the board's columns line up. */
export function kindWidth(): number {
  return Math.max(...ALERT_KINDS.map((k) => kindLabel(k).length));
}
