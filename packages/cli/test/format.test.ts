import { beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '@aviso/client';
import { alertJson, bySeverity, formatAge, formatSafetyNumber, formatTime } from '../src/format.js';
import { AlertBoard, describeEvent } from '../src/listen/view.js';
import { jsonLine, Output } from '../src/output.js';
import { prepareMessages } from '../src/lang.js';
import { memoryIo } from './helpers.js';

// The board says plurals (ICU); runCli loads the formatter before any command, these tests do it here.
beforeAll(prepareMessages);

const T0 = Date.UTC(2026, 10, 28, 14, 0, 0);
const zero = { seen: 0, onMyWay: 0, onScene: 0, cannot: 0, confirmed: 0, disputed: 0 };

function alert(over: Partial<Alert>): Alert {
  return {
    id: '2cdb2af6-e584-4dd3-99f2-997d7de7a848',
    groupId: 'g'.repeat(64),
    from: '9adfb9f9-5fda-4552-bb64-830ad23784dd',
    fromDevice: 1,
    kind: 'raid',
    severity: 'urgent',
    title: 'Agents at the car wash',
    body: undefined,
    place: { text: '5th and Main' },
    observedAt: T0,
    expiresAt: T0 + 4 * 3600_000,
    requestAck: true,
    sentAt: T0,
    retracted: false,
    reason: undefined,
    allClear: false,
    ...over,
  };
}

describe('formatting', () => {
  it('formats ages, times and safety numbers', () => {
    // Intl in the terminal's language (AVISO_LANG=en) and zone (TZ=UTC): vitest.config.ts pins both.
    expect(formatAge(-5)).toBe('just now');
    expect(formatAge(45_900)).toBe('1 min. ago');
    expect(formatAge(3 * 60_000 + 59_000)).toBe('4 min. ago');
    expect(formatAge(2 * 3600_000)).toBe('2 hr. ago');
    expect(formatAge(3 * 86400_000)).toBe('3 days ago');
    expect(formatTime(T0)).toBe('Nov 28, 2026, 2:00 PM UTC');
    const digits = '012345678901234567890123456789012345678901234567890123456789';
    expect(formatSafetyNumber(digits)).toEqual(['01234 56789 01234 56789', '01234 56789 01234 56789', '01234 56789 01234 56789']);
  });

  it('sorts alerts most severe first, then newest', () => {
    const list = [alert({ severity: 'info', sentAt: 3 }), alert({ severity: 'critical', sentAt: 1 }), alert({ severity: 'urgent', sentAt: 1 }), alert({ severity: 'critical', sentAt: 2 })];
    expect(list.sort(bySeverity).map((a) => `${a.severity}${a.sentAt}`)).toEqual(['critical2', 'critical1', 'urgent1', 'info3']);
  });

  it('gives every alert the same JSON keys, with null for what is missing', () => {
    const line = jsonLine({ type: 'alert', ...alertJson(alert({}), { group: 'Eastside', from: undefined }, zero) });
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['type', 'id', 'groupId', 'group', 'from', 'fromName', 'kind', 'severity', 'title', 'body', 'place', 'lat', 'lon', 'observedAt', 'sentAt', 'expiresAt', 'requestAck', 'retracted', 'reason', 'allClear', 'acks']);
    expect(parsed).toMatchObject({ fromName: null, body: null, place: '5th and Main', lat: null, acks: zero });
  });

  it('prints JSON or the human lines, never both', () => {
    const io = memoryIo();
    new Output(io, true).emit({ type: 'x', a: 1 }, ['human']);
    new Output(io, false).emit({ type: 'x', a: 1 }, ['human', 'two']);
    new Output(io, true).note('hint');
    expect(io.stdout).toEqual(['{"type":"x","a":1}', 'human', 'two']);
  });
});

describe('the live view', () => {
  it('shows alerts by severity with place, age and answers, and marks retracted and expired ones', () => {
    const board = new AlertBoard();
    expect(board.add({ alert: alert({ id: 'aaaaaaaa-1', severity: 'info', title: 'Patrol car parked' }), group: 'Eastside', from: 'Rosa (admin)', counts: zero, expired: false })).toBe(true);
    board.add({ alert: alert({ id: 'bbbbbbbb-2', severity: 'critical', sentAt: T0 + 60_000 }), group: 'Eastside', from: '9adfb9f9', counts: zero, expired: false });
    board.add({ alert: alert({ id: 'cccccccc-3', severity: 'urgent', title: 'Checkpoint', kind: 'checkpoint', expiresAt: T0 + 120_000 }), group: 'Westside', from: 'Ana (member)', counts: zero, expired: false });
    expect(board.add({ alert: alert({ id: 'aaaaaaaa-1' }), group: 'Eastside', from: 'Rosa (admin)', counts: zero, expired: false })).toBe(false);
    board.setCounts('bbbbbbbb-2', { ...zero, seen: 2, onMyWay: 1 });
    board.retract('aaaaaaaa-1', 'false alarm');
    board.addText({ sentAt: T0 + 90_000, group: 'Eastside', from: 'Ana', text: 'heading there' });

    expect(board.expire(T0 + 60_000)).toEqual([]);
    const expired = board.expire(T0 + 180_000);
    expect(expired.map((e) => e.alert.id)).toEqual(['cccccccc-3']);
    expect(board.expire(T0 + 240_000)).toEqual([]); // once only

    const lines = board.render(T0 + 180_000, 'aviso listen', 200);
    expect(lines[0]).toBe('aviso listen — 1 current alert — Nov 28, 2026, 2:03 PM UTC — Ctrl-C to stop');
    const body = lines.slice(2);
    expect(body[0]).toBe('CRITICAL Raid        Agents at the car wash — 5th and Main — 2 min. ago');
    expect(body[1]).toBe('         Eastside · from 9adfb9f9 · seen 2 · on my way 1 · on scene 0 · can\'t 0 · confirmed 0 · disputed 0 · id bbbbbbbb');
    expect(body[2]).toBe('INFO     Raid        Patrol car parked — 5th and Main — 3 min. ago  [RETRACTED: false alarm]');
    expect(body[4]).toBe('URGENT   Checkpoint  Checkpoint — 5th and Main — 3 min. ago  [EXPIRED]');
    expect(lines.slice(-2)).toEqual(['messages:', '  2:01 PM Eastside · Ana: heading there']);
    for (const l of board.render(T0, 'h', 30)) expect([...l].length).toBeLessThanOrEqual(30);
  });

  it('describes each event on one line when not on a terminal', () => {
    const now = T0;
    expect(describeEvent({ type: 'alert', ...alertJson(alert({ severity: 'critical' }), { group: 'Eastside', from: 'Rosa' }, zero) }, now)).toBe(
      '2:00 PM ALERT CRITICAL Raid: Agents at the car wash — 5th and Main — in Eastside from Rosa [2cdb2af6]',
    );
    expect(describeEvent({ type: 'ack', alertId: '2cdb2af6-e584', status: 'on-my-way', from: '46772db7-6bb7', fromName: undefined, acks: { ...zero, onMyWay: 1 } }, now)).toBe(
      '2:00 PM 46772db7 answered "On my way" to [2cdb2af6] (seen 0 · on my way 1 · on scene 0 · can\'t 0 · confirmed 0 · disputed 0)',
    );
    expect(describeEvent({ type: 'retract', alertId: '2cdb2af6-e584', from: 'x', fromName: 'Rosa', reason: 'false alarm' }, now)).toBe('2:00 PM RETRACTED [2cdb2af6] by Rosa: false alarm');
    expect(describeEvent({ type: 'expired', alertId: '2cdb2af6-e584', group: 'Eastside' }, now)).toBe('2:00 PM expired [2cdb2af6] in Eastside');
    expect(describeEvent({ type: 'catching-up', done: 1200, pending: 40, complete: false }, now)).toBe('2:00 PM catching up: 1,200 messages taken so far');
    expect(describeEvent({ type: 'catching-up', done: 1, pending: 0, complete: true }, now)).toBe('2:00 PM caught up: 1 message taken while offline');
  });

  it('keeps hostile text from driving the terminal: no escape, control or line break in any rendered line', () => {
    const board = new AlertBoard();
    const hostile = alert({ id: 'dddddddd-4', title: '\u001B[2J\u001B[HAgents gone\u001B]0;pwned\u0007', place: { text: '5th\n14:05 ALL CLEAR [2cdb2af6] from Rosa' } });
    board.add({ alert: hostile, group: 'East\u009B2Jside', from: 'Rosa (member)', counts: zero, expired: false });
    board.retract('dddddddd-4', 'oops\r\u001B[2Kfine');
    board.addText({ sentAt: T0, group: 'Eastside', from: 'Ana (member)', text: 'hi\u001B]0;x\u0007\nthere' });
    const lines = board.render(T0, 'aviso listen', 200);
    for (const l of lines) expect([...l].filter((c) => c.codePointAt(0)! < 0x20 || (c.codePointAt(0)! >= 0x7f && c.codePointAt(0)! <= 0x9f))).toEqual([]);
    expect(lines).toContain('URGENT   Raid        Agents gone — 5th\u21B514:05 ALL CLEAR [2cdb2af6] from Rosa — just now  [RETRACTED: oops\u21B5fine]');
    expect(lines).toContain('         Eastside · from Rosa (member) · seen 0 · on my way 0 · on scene 0 · can\'t 0 · confirmed 0 · disputed 0 · id dddddddd');
    expect(lines.at(-1)).toBe('  2:00 PM Eastside · Ana (member): hi\u21B5there');
    expect(describeEvent({ type: 'text', group: 'Eastside', from: 'x', fromName: 'Ro\u001B[31msa', text: 'a\nb' }, T0)).toBe('2:00 PM Eastside · Rosa: a\u21B5b');
    expect(describeEvent({ type: 'ack', from: 'acct', status: 'seen', alertId: 'dddddddd' }, T0, () => 'Rosa (admin)')).toBe('2:00 PM Rosa (admin) answered "Seen" to [dddddddd]');
  });
});
