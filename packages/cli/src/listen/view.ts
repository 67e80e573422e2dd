import type { Alert } from '@aviso/client';
import { bySeverity, formatAge, formatCounts, formatTime, shortId, type AckCounts } from '../format.js';
import type { JsonObject } from '../output.js';
import { terminalText } from '../terminal-text.js';
import { cutTo, fitLine, type Piece } from './fit.js';

export interface BoardAlert {
  alert: Alert;
  group: string;
  /** Who sent it, for people to read: `Rosa (admin)` (already safe for the terminal). */
  from: string;
  counts: AckCounts;
  expired: boolean;
}

interface BoardText {
  sentAt: number;
  group: string;
  /** As in `BoardAlert.from`. */
  from: string;
  text: string;
}

const RECENT_TEXTS = 5;

/** What the live view shows: current alerts with their answers, and the last few messages. */
export class AlertBoard {
  readonly #alerts = new Map<string, BoardAlert>();
  readonly #texts: BoardText[] = [];

  /** Adds an alert; false (and no change) when it is already on the board: a duplicate to skip. */
  add(entry: BoardAlert): boolean {
    if (this.#alerts.has(entry.alert.id)) return false;
    this.#alerts.set(entry.alert.id, entry);
    return true;
  }

  ids(): string[] {
    return [...this.#alerts.keys()];
  }

  get(alertId: string): BoardAlert | undefined {
    return this.#alerts.get(alertId);
  }

  setCounts(alertId: string, counts: AckCounts): void {
    const e = this.#alerts.get(alertId);
    if (e) e.counts = counts;
  }

  retract(alertId: string, reason: string): void {
    const e = this.#alerts.get(alertId);
    if (e) e.alert = { ...e.alert, retracted: true, reason };
  }

  allClear(alertId: string): void {
    const e = this.#alerts.get(alertId);
    if (e) e.alert = { ...e.alert, allClear: true };
  }

  addText(text: BoardText): void {
    this.#texts.push(text);
    if (this.#texts.length > RECENT_TEXTS) this.#texts.shift();
  }

  /** Marks alerts whose time is up; returns the ones that expired just now. */
  expire(now: number): BoardAlert[] {
    const out: BoardAlert[] = [];
    for (const e of this.#alerts.values()) {
      if (!e.expired && e.alert.expiresAt <= now) {
        e.expired = true;
        out.push(e);
      }
    }
    return out;
  }

  /** The whole screen: a header, alerts by severity (expired last), then recent messages. */
  render(now: number, header: string, width: number): string[] {
    return this.frame(now, header, width).map((l) => l.text);
  }

  /**
   * As `render`, each line marked when it belongs to a current critical alert (the live view colours
   * those). Every line fits `width` columns; an alert's id (what `aviso ack` needs) is kept, and the
   * title, place, group and counts give way first.
   */
  frame(now: number, header: string, width: number): BoardLine[] {
    const entries = [...this.#alerts.values()].sort((a, b) => Number(a.expired) - Number(b.expired) || bySeverity(a.alert, b.alert));
    const live = entries.filter((e) => !e.expired && !e.alert.retracted && !e.alert.allClear).length;
    const plain = (text: string): BoardLine => ({ text: cutTo(text, width), critical: false });
    const lines = [plain(`${header} — ${live} current alert${live === 1 ? '' : 's'} — ${formatTime(now)} — Ctrl-C to stop`), plain('')];
    if (entries.length === 0) lines.push(plain('  no alerts yet; waiting…'));
    for (const e of entries) {
      const a = e.alert;
      const critical = a.severity === 'critical' && !e.expired && !a.retracted && !a.allClear;
      // Title, place, reason and group title are other people's text: terminalText keeps each on its line.
      const mark = e.expired ? '  [EXPIRED]' : a.retracted ? `  [RETRACTED${a.reason ? `: ${terminalText(a.reason)}` : ''}]` : a.allClear ? '  [ALL CLEAR]' : '';
      const first: Piece[] = [
        { text: `${a.severity.toUpperCase().padEnd(8)} ${a.kind.padEnd(10)} ` },
        { text: terminalText(a.title), shrink: 3, keep: 12 },
        { text: ' — ' },
        { text: terminalText(a.place?.text) || '?', shrink: 2, keep: 8 },
        { text: ` — ${formatAge(now - a.sentAt)} ago` },
        { text: mark, shrink: 1, keep: 14 },
      ];
      lines.push({ text: fitLine(first, width), critical });
      // The body on one line of its own (line breaks shown as ↵); the full text is in `aviso alerts`.
      if (a.body) lines.push({ text: cutTo(`${' '.repeat(9)}${terminalText(a.body)}`, width), critical });
      const second: Piece[] = [
        { text: ' '.repeat(9) },
        { text: terminalText(e.group), shrink: 2, keep: 10 },
        { text: ' · from ' },
        { text: e.from, shrink: 3, keep: 10 },
        { text: ' · ' },
        { text: formatCounts(e.counts), shrink: 1, keep: 20 },
        { text: ` · id ${shortId(a.id)}` },
      ];
      lines.push({ text: fitLine(second, width), critical });
    }
    if (this.#texts.length > 0) {
      lines.push(plain(''), plain('messages:'));
      for (const t of this.#texts) lines.push(plain(`  ${formatTime(t.sentAt).slice(11, 16)} ${terminalText(t.group)} · ${t.from}: ${terminalText(t.text)}`));
    }
    return lines;
  }
}

export interface BoardLine {
  text: string;
  /** Part of a current critical alert. */
  critical: boolean;
}

/**
 * One line per event when stdout is not a terminal (logs, pipes): time, what, and where. Every text
 * field is someone else's (or the relay's) and goes through terminalText: one event, one line.
 * `label` names a sender for people (`Rosa (admin)`); without it, the name or the short id.
 */
export function describeEvent(e: JsonObject, now: number, label?: (accountId: string) => string): string {
  const time = formatTime(now).slice(11, 16);
  const str = (k: string) => (typeof e[k] === 'string' ? terminalText(e[k] as string) : '');
  const who = label && typeof e['from'] === 'string' ? label(e['from']) : str('fromName') || shortId(str('from'));
  const id = shortId(str('alertId') || str('id'));
  const counts = e['acks'] ? ` (${formatCounts(e['acks'] as AckCounts)})` : '';
  switch (e.type) {
    case 'alert':
      return `${time} ALERT ${str('severity').toUpperCase()} ${str('kind')}: ${str('title')} — ${str('place') || '?'} — in ${str('group')} from ${who} [${id}]${e['retracted'] ? ' RETRACTED' : ''}${str('body') ? ` · ${str('body')}` : ''}`;
    case 'ack':
      return `${time} ${who} answered ${str('status')} to [${id}]${counts}`;
    case 'confirm':
    case 'dispute':
      return `${time} ${who} ${e.type === 'confirm' ? 'confirmed' : 'disputed'} [${id}]${str('note') ? `: ${str('note')}` : ''}${counts}`;
    case 'retract':
      return `${time} RETRACTED [${id}] by ${who}${str('reason') ? `: ${str('reason')}` : ''}`;
    case 'all-clear':
      return `${time} ALL CLEAR [${id}] from ${who}`;
    case 'expired':
      return `${time} expired [${id}] in ${str('group')}`;
    case 'text':
      return `${time} ${str('group')} · ${who}: ${str('text')}`;
    case 'group':
      return `${time} ${str('group')}: ${str('event')}${str('accountId') ? ` (${shortId(str('accountId'))})` : ''}`;
    case 'connection':
      return `${time} connection ${str('state')}`;
    case 'warning':
      return `${time} warning: ${str('message')}`;
    case 'ready':
      return `${time} listening (caught up); Ctrl-C to stop`;
    default:
      return `${time} ${e.type}`;
  }
}
