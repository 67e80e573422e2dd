import type { Alert } from '@aviso/client';
import { ackLabel, bySeverity, formatAge, formatClock, formatCounts, formatTime, kindLabel, kindWidth, severityLabel, shortId, type AckCounts } from '../format.js';
import { say, type MessageKey } from '../lang.js';
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
    const lines = [plain(say('cli.board.status', { header, count: live, time: formatTime(now) })), plain('')];
    if (entries.length === 0) lines.push(plain(say('cli.board.empty')));
    // Columns as wide as the longest severity and kind in this language ("MUY GRAVE", "Vieron agentes").
    const severityWidth = Math.max(...(['critical', 'urgent', 'info'] as const).map((s) => severityLabel(s).length));
    const kindColumns = kindWidth();
    for (const e of entries) {
      const a = e.alert;
      const critical = a.severity === 'critical' && !e.expired && !a.retracted && !a.allClear;
      // Title, place, reason and group title are other people's text: terminalText keeps each on its line.
      const mark = e.expired
        ? say('cli.board.expired')
        : a.retracted
          ? a.reason
            ? say('cli.board.retractedWhy', { reason: terminalText(a.reason) })
            : say('cli.board.retracted')
          : a.allClear
            ? say('cli.board.allClear')
            : '';
      const first: Piece[] = [
        { text: `${severityLabel(a.severity).padEnd(severityWidth)} ${kindLabel(a.kind).padEnd(kindColumns)} ` },
        { text: terminalText(a.title), shrink: 3, keep: 12 },
        { text: ' — ' },
        { text: terminalText(a.place?.text) || '?', shrink: 2, keep: 8 },
        { text: ` — ${formatAge(now - a.sentAt)}` },
        { text: mark, shrink: 1, keep: 14 },
      ];
      lines.push({ text: fitLine(first, width), critical });
      // The body on one line of its own (line breaks shown as ↵); the full text is in `aviso alerts`.
      const indent = ' '.repeat(severityWidth + 1);
      if (a.body) lines.push({ text: cutTo(`${indent}${terminalText(a.body)}`, width), critical });
      const second: Piece[] = [
        { text: indent },
        { text: terminalText(e.group), shrink: 2, keep: 10 },
        { text: ` · ${say('cli.board.from')} ` },
        { text: e.from, shrink: 3, keep: 10 },
        { text: ' · ' },
        { text: formatCounts(e.counts), shrink: 1, keep: 20 },
        { text: ` · ${say('cli.board.id', { id: shortId(a.id) })}` },
      ];
      lines.push({ text: fitLine(second, width), critical });
    }
    if (this.#texts.length > 0) {
      lines.push(plain(''), plain(say('cli.board.messages')));
      for (const t of this.#texts) lines.push(plain(`  ${formatClock(t.sentAt)} ${terminalText(t.group)} · ${t.from}: ${terminalText(t.text)}`));
    }
    return lines;
  }
}

export interface BoardLine {
  text: string;
  /** Part of a current critical alert. */
  critical: boolean;
}

const CONNECTION: Record<string, MessageKey> = {
  connecting: 'cli.connection.connecting',
  open: 'cli.connection.open',
  reconnecting: 'cli.connection.reconnecting',
  closed: 'cli.connection.closed',
};

/** A connection state as people read it ("reconnecting" / "reconectando"). */
export function connectionLabel(state: string): string {
  return Object.hasOwn(CONNECTION, state) ? say(CONNECTION[state]!) : state;
}

/**
 * One line per event when stdout is not a terminal (logs, pipes): time, what, and where. Every text
 * field is someone else's (or the relay's) and goes through terminalText: one event, one line.
 * `label` names a sender for people (`Rosa (admin)`); without it, the name or the short id.
 * `warning` words a warning's English message (what --json carries) in the terminal's language.
 */
export function describeEvent(e: JsonObject, now: number, label?: (accountId: string) => string, warning?: (message: string) => string): string {
  const time = formatClock(now);
  const str = (k: string) => (typeof e[k] === 'string' ? terminalText(e[k] as string) : '');
  const from = label && typeof e['from'] === 'string' ? label(e['from']) : str('fromName') || shortId(str('from'));
  const id = shortId(str('alertId') || str('id'));
  const counts = e['acks'] ? ` (${formatCounts(e['acks'] as AckCounts)})` : '';
  const after = (k: string, sep: string) => (str(k) ? `${sep}${str(k)}` : '');
  switch (e.type) {
    case 'alert':
      return say('cli.event.alert', {
        time,
        severity: severityLabel(str('severity')),
        kind: kindLabel(str('kind')),
        title: str('title'),
        place: str('place') || '?',
        group: str('group'),
        from,
        id,
        retracted: e['retracted'] ? 'yes' : 'no',
        body: after('body', ' · '),
      });
    case 'ack':
      return say('cli.event.ack', { time, from, status: ackLabel(str('status')), id, counts });
    case 'confirm':
    case 'dispute':
      return say(e.type === 'confirm' ? 'cli.event.confirm' : 'cli.event.dispute', { time, from, id, note: after('note', ': '), counts });
    case 'retract':
      return say('cli.event.retract', { time, id, from, reason: after('reason', ': ') });
    case 'all-clear':
      return say('cli.event.allClear', { time, id, from });
    case 'expired':
      return say('cli.event.expired', { time, id, group: str('group') });
    case 'text':
      return `${time} ${str('group')} · ${from}: ${str('text')}`;
    case 'group':
      // The event is a protocol word (member-added, …), the same in every language.
      return `${time} ${str('group')}: ${str('event')}${str('accountId') ? ` (${shortId(str('accountId'))})` : ''}`;
    case 'connection':
      return say('cli.event.connection', { time, state: connectionLabel(str('state')) });
    case 'warning':
      return say('cli.event.warning', { time, message: warning ? terminalText(warning(String(e['message'] ?? ''))) : str('message') });
    case 'ready':
      return say('cli.event.ready', { time });
    case 'catching-up':
      return say(e['complete'] === true ? 'cli.event.caughtUp' : 'cli.event.catchingUp', { time, done: Number(e['done']) });
    default:
      return `${time} ${e.type}`;
  }
}
