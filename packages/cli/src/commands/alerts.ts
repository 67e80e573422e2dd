import { ACK_STATUSES, ALERT_KINDS, ALERT_LIMITS, SEVERITIES } from '@aviso/protocol/constants';
import { limited, oneOf, parseDuration, required } from '../args.js';
import { flag, stringOption, type Parsed } from '../command.js';
import { ackStatusOf, kindOf, severityOf } from '../aliases.js';
import { humanMessage, usageError, type CliError } from '../errors.js';
import { ackCounts, ackLabel, alertJson, bySeverity, formatAge, formatCounts, kindLabel, severityLabel, shortId } from '../format.js';
// `say` is the name of a command here; the catalog's say() is `word`.
import { say as word } from '../lang.js';
import { withClient, type Context } from '../session.js';
import { groupPeople, senderLabel, type People } from '../people.js';
import { terminalText } from '../terminal-text.js';
import { allAlerts, findAlert, findGroup } from './lookup.js';

// What the alert commands do; their names, help and flags are in ../catalog/alerts.ts.

export async function alert(ctx: Context, args: Parsed): Promise<void> {
  // Spanish words are taken too (`--kind redada`, `--severity urgente`): see ../aliases.ts.
  const kind = oneOf(kindOf(required(stringOption(args, 'kind'), '--kind', 'alert')), ALERT_KINDS, '--kind', 'cli.allowed.kinds');
  const severity = oneOf(severityOf(required(stringOption(args, 'severity'), '--severity', 'alert')), SEVERITIES, '--severity', 'cli.allowed.severities');
  const title = limited(required(stringOption(args, 'title'), '--title', 'alert'), ALERT_LIMITS.titleChars, 'cli.what.title');
  const place = limited(required(stringOption(args, 'place'), '--place', 'alert'), ALERT_LIMITS.placeChars, 'cli.what.place');
  const body = stringOption(args, 'body');
  if (body !== undefined) limited(body, ALERT_LIMITS.bodyChars, 'cli.what.body');
  const expires = stringOption(args, 'expires');
  const seconds = expires === undefined ? undefined : parseDuration(expires, '--expires');
  if (seconds !== undefined && seconds > ALERT_LIMITS.maxExpiresInSeconds) throw usageError('cli.usage.expiresMax');
  await withClient(ctx, { connect: true }, async (client) => {
    const group = await findGroup(client, args.positionals[0]!);
    const id = await group.sendAlert({
      kind,
      severity,
      title,
      place,
      ...(body === undefined ? {} : { body }),
      ...(seconds === undefined ? {} : { expiresInSeconds: seconds }),
      requestAck: flag(args, 'ack'),
    });
    ctx.out.emit({ type: 'alert-sent', id, groupId: group.id, group: group.title }, id);
  });
}

export async function alerts(ctx: Context, args: Parsed): Promise<void> {
  // Offline, what the store holds is still worth seeing (the last alerts may be exactly what is
  // needed), said first and plainly to be possibly out of date.
  const offline = (why: CliError) => {
    if (ctx.out.json) ctx.out.emit({ type: 'offline', code: why.code, message: why.message, relayUrl: ctx.errors.relayUrl, retryInSeconds: undefined }, []);
    else ctx.io.err(word('cli.robust.alerts.offline', { reason: terminalText(humanMessage(why)) }));
  };
  await withClient(ctx, { connect: true, offline }, async (client) => {
    const only = args.positionals[0] === undefined ? undefined : [await findGroup(client, args.positionals[0])];
    const found = (await allAlerts(client, only)).sort((a, b) => bySeverity(a.alert, b.alert));
    if (found.length === 0) ctx.out.note(word('cli.alerts.none'));
    const byGroup = new Map<string, People>();
    const now = Date.now();
    for (const { alert: a, group } of found) {
      if (!byGroup.has(group.id)) byGroup.set(group.id, await groupPeople(group));
      const people = byGroup.get(group.id)!;
      const fromName = people.get(a.from)?.displayName;
      const counts = ackCounts(await group.rollCall(a.id));
      const state = a.retracted ? (a.reason ? word('cli.alerts.retractedWhy', { reason: terminalText(a.reason) }) : word('cli.alerts.retracted')) : a.allClear ? word('cli.alerts.allClear') : '';
      ctx.out.emit({ type: 'alert', ...alertJson(a, { group: group.title, from: fromName }, counts) }, [
        word('cli.alerts.line', {
          id: shortId(a.id),
          severity: severityLabel(a.severity),
          kind: kindLabel(a.kind),
          title: terminalText(a.title),
          place: terminalText(a.place?.text) || '?',
          age: formatAge(now - a.sentAt),
          group: terminalText(group.title),
          from: senderLabel(people, a.from),
          state,
        }),
        ...bodyLines(a.body),
        `          ${formatCounts(counts)}`,
      ]);
    }
  });
}

/**
 * The body under its alert, one printed line per line of it, indented. Someone else's text: each line
 * goes through terminalText on its own, so a right-to-left line is isolated within that line.
 */
function bodyLines(body: string | undefined): string[] {
  if (!body) return [];
  return body.split(/\r\n|[\n\v\f\r\u0085\u2028\u2029]/u).map((l) => `          ${terminalText(l)}`);
}

export async function ack(ctx: Context, args: Parsed): Promise<void> {
  // `visto`, `voy-en-camino`, `en-el-lugar`, `no-puedo` mean the same (../aliases.ts).
  const status = oneOf(ackStatusOf(args.positionals[1]!), ACK_STATUSES, word('cli.what.status'), 'cli.allowed.statuses');
  await withClient(ctx, { connect: true }, async (client) => {
    const { alert: a, group } = await findAlert(client, args.positionals[0]!);
    await group.acknowledge(a.id, status);
    ctx.out.emit({ type: 'acked', alertId: a.id, groupId: group.id, status }, word('cli.acked', { title: terminalText(a.title), status: ackLabel(status) }));
  });
}

export async function sendVerdict(ctx: Context, args: Parsed, name: 'confirm' | 'dispute', done: string): Promise<void> {
  const note = args.positionals.length > 1 ? limited(args.positionals.slice(1).join(' '), ALERT_LIMITS.noteChars, 'cli.what.note') : undefined;
  await withClient(ctx, { connect: true }, async (client) => {
    const { alert: a, group } = await findAlert(client, args.positionals[0]!);
    await (name === 'confirm' ? group.confirm(a.id, note) : group.dispute(a.id, note));
    ctx.out.emit({ type: done, alertId: a.id, groupId: group.id, note }, word(name === 'confirm' ? 'cli.confirmed' : 'cli.disputed', { title: terminalText(a.title) }));
  });
}

export async function retract(ctx: Context, args: Parsed): Promise<void> {
  const reason = limited(args.positionals.slice(1).join(' '), ALERT_LIMITS.noteChars, 'cli.what.reason');
  await withClient(ctx, { connect: true }, async (client) => {
    const { alert: a, group } = await findAlert(client, args.positionals[0]!);
    await group.retract(a.id, reason);
    ctx.out.emit({ type: 'retracted', alertId: a.id, groupId: group.id, reason }, word('cli.retracted', { title: terminalText(a.title) }));
  });
}

export async function allClear(ctx: Context, args: Parsed): Promise<void> {
  await withClient(ctx, { connect: true }, async (client) => {
    const { alert: a, group } = await findAlert(client, args.positionals[0]!);
    await group.allClear(a.id);
    ctx.out.emit({ type: 'all-cleared', alertId: a.id, groupId: group.id }, word('cli.allCleared', { title: terminalText(a.title) }));
  });
}

export async function say(ctx: Context, args: Parsed): Promise<void> {
  const text = limited(args.positionals.slice(1).join(' '), ALERT_LIMITS.textChars, 'cli.what.message');
  await withClient(ctx, { connect: true }, async (client) => {
    const group = await findGroup(client, args.positionals[0]!);
    await group.sendText(text);
    ctx.out.emit({ type: 'said', groupId: group.id, text }, word('cli.said', { group: terminalText(group.title) }));
  });
}
