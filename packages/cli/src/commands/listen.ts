import { ConnectedElsewhereError, type Alert, type AvisoClient, type Group } from '@aviso/client';
import type { Command } from '../command.js';
import { serveControl } from '../control.js';
import { toCliError } from '../errors.js';
import { ackCounts, alertJson } from '../format.js';
import { AlertBoard, describeEvent } from '../listen/view.js';
import { jsonLine, type JsonObject } from '../output.js';
import { withClient, type Context } from '../session.js';
import { groupPeople, senderLabel, type People } from '../people.js';
import { terminalLine } from '../terminal-text.js';
import { activeGroups, allAlerts, findGroup } from './lookup.js';

const ENTER_SCREEN = '\x1b[?1049h\x1b[?25l';
const LEAVE_SCREEN = '\x1b[?25h\x1b[?1049l';
const CLEAR = '\x1b[H\x1b[2J';

export const listen: Command = {
  name: 'listen',
  synopsis: '[group]',
  summary: 'stay connected and show alerts live (Ctrl-C to stop)',
  details: [
    'On a terminal: a live board, most severe first, with place, age, answers, retracted and expired marks.',
    'Piped: one line per event. --json: one object per event, each with a "type":',
    '  alert (as in `aviso alerts --json`), ack {alertId,status,from,fromName,acks}, confirm|dispute {alertId,note,…},',
    '  retract {alertId,reason,…}, all-clear {alertId,…}, text {groupId,group,from,fromName,text,sentAt},',
    '  expired {alertId,groupId,group}, group {groupId,group,event,accountId,version}, connection {state},',
    '  warning {code,message}, ready {groups} (current alerts and the relay queue have been shown), closed.',
  ],
  args: { min: 0, max: 1 },
  sharable: false,
  async run(ctx, args) {
    ctx.io.handleStop(); // Ctrl-C closes the connection and the store cleanly
    const session = new ListenSession(ctx);
    await withClient(ctx, { connect: true, live: true, forward: false, prepare: (client) => session.prepare(client, args.positionals[0]) }, (client) => session.run(client));
  },
};

class ListenSession {
  readonly #board = new AlertBoard();
  readonly #people = new Map<string, People>();
  readonly #watched = new Set<string>();
  readonly #mode: 'json' | 'screen' | 'lines';
  #chain: Promise<void> = Promise.resolve();
  #ready = false;
  #fatal: ((err: Error) => void) | undefined;
  #connection = 'connecting';
  #lastFrame = '';

  constructor(private readonly ctx: Context) {
    this.#mode = ctx.out.json ? 'json' : ctx.io.stdoutIsTTY ? 'screen' : 'lines';
  }

  async prepare(client: AvisoClient, only: string | undefined): Promise<void> {
    const groups = only === undefined ? await activeGroups(client) : [await findGroup(client, only)];
    for (const g of groups) {
      this.#watched.add(g.id);
      this.#people.set(g.id, await groupPeople(g));
    }
    if (this.#mode === 'screen') this.ctx.io.write(ENTER_SCREEN);
    for (const { alert, group } of await allAlerts(client, groups)) await this.#onAlert(alert, group);
    client.on('alert', (a, g) => this.#queue(g, () => this.#onAlert(a, g)));
    client.on('ack', (a, g) => this.#queue(g, () => this.#answer(g, a.alertId, { type: 'ack', alertId: a.alertId, status: a.status, ...this.#who(g, a.from) })));
    client.on('confirm', (a, g) => this.#queue(g, () => this.#answer(g, a.alertId, { type: 'confirm', alertId: a.alertId, note: a.note, ...this.#who(g, a.from) })));
    client.on('dispute', (a, g) => this.#queue(g, () => this.#answer(g, a.alertId, { type: 'dispute', alertId: a.alertId, note: a.note, ...this.#who(g, a.from) })));
    client.on('retract', (r, g) =>
      this.#queue(g, async () => {
        this.#board.retract(r.alertId, r.reason);
        this.#emit({ type: 'retract', alertId: r.alertId, groupId: g.id, group: g.title, reason: r.reason, ...this.#who(g, r.from) });
      }),
    );
    client.on('all-clear', (r, g) =>
      this.#queue(g, async () => {
        this.#board.allClear(r.alertId);
        this.#emit({ type: 'all-clear', alertId: r.alertId, groupId: g.id, group: g.title, ...this.#who(g, r.from) });
      }),
    );
    client.on('text', (t, g) =>
      this.#queue(g, async () => {
        const who = this.#who(g, t.from);
        this.#board.addText({ sentAt: t.sentAt, group: g.title, from: this.#label(g.id, t.from), text: t.text });
        this.#emit({ type: 'text', groupId: g.id, group: g.title, text: t.text, sentAt: t.sentAt, ...who });
      }),
    );
    client.on('group', (e) => {
      const g = client.group(e.groupId);
      if (!g) return;
      this.#queue(g, async () => {
        this.#people.set(g.id, await groupPeople(g));
        this.#emit({ type: 'group', groupId: g.id, group: g.title, event: e.type, accountId: e.accountId, version: e.version });
      });
    });
    client.on('connection', (state) => {
      if (this.#ready && this.#connection !== state) this.#emit({ type: 'connection', state });
      this.#connection = state;
    });
    client.on('alert-dropped', (d) => {
      // A removed member's alert leaves the SDK's book; the board marks it instead of hiding it silently.
      this.#board.retract(d.alertId, 'its sender was removed from the group');
      this.#emit({ type: 'warning', code: 'ALERT_DROPPED', message: `alert ${d.alertId.slice(0, 8)} was dropped: its sender was removed from the group` });
    });
    client.on('group-withheld', (err) => {
      const e = toCliError(err, this.ctx.errors);
      this.#emit({ type: 'warning', code: e.code, message: e.message });
    });
    client.on('identity-mismatch', (err) => {
      const e = toCliError(err, this.ctx.errors);
      this.#emit({ type: 'warning', code: e.code, message: e.message });
    });
    client.on('identity-changed', ({ accountId }) => {
      const id = accountId.slice(0, 8);
      this.#emit({ type: 'warning', code: 'IDENTITY_CHANGED', message: `the safety number with ${accountId} changed; nothing more goes to them until you compare it (\`aviso verify ${id}\`) and run \`aviso accept ${id}\`` });
    });
    client.on('error', (err) => {
      if (err instanceof ConnectedElsewhereError) return this.#fatal?.(err);
      if (this.#connection !== 'open') return; // reconnect failures: the connection events tell that story
      const e = toCliError(err, this.ctx.errors);
      this.#emit({ type: 'warning', code: e.code, message: e.message });
    });
  }

  async run(client: AvisoClient): Promise<void> {
    await this.#chain;
    this.#ready = true;
    this.#emit({ type: 'ready', profile: this.ctx.profile.name, accountId: client.accountId, groups: [...this.#watched].map((id) => ({ id, title: client.group(id)?.title })) });
    // Other commands on this profile (ack, alert, …) now run here, on this client.
    const nested = this.ctx.nested(client);
    const stopControl = await serveControl(this.ctx.profile, this.ctx.io.env, async (argv, io) => {
      const status = await nested(argv, io);
      // Our own answers reach the store, not the event stream: refresh the board's counts.
      this.#chain = this.#chain.then(() => this.#refreshCounts(client)).catch(() => undefined);
      return status;
    });
    const tick = setInterval(() => {
      for (const e of this.#board.expire(Date.now())) this.#emit({ type: 'expired', alertId: e.alert.id, groupId: e.alert.groupId, group: e.group });
      if (this.#mode === 'screen') this.#draw();
    }, 1000);
    try {
      await new Promise<void>((resolve, reject) => {
        this.#fatal = reject;
        void this.ctx.io.stopped.then(resolve);
      });
    } finally {
      clearInterval(tick);
      await stopControl?.();
      await this.#chain;
      if (this.#mode === 'screen') this.ctx.io.write(LEAVE_SCREEN);
      this.#emit({ type: 'closed' });
      this.#ready = false; // the client's own shutdown is not news
    }
  }

  #queue(group: Group, fn: () => Promise<void>): void {
    if (!this.#watched.has(group.id)) return;
    // In order, one at a time: an ack must not overtake the alert it answers.
    this.#chain = this.#chain.then(fn).catch((err: unknown) => {
      const e = toCliError(err, this.ctx.errors);
      this.#emit({ type: 'warning', code: e.code, message: e.message });
    });
  }

  async #refreshCounts(client: AvisoClient): Promise<void> {
    for (const id of this.#board.ids()) {
      const entry = this.#board.get(id)!;
      const group = client.group(entry.alert.groupId);
      if (group) this.#board.setCounts(id, ackCounts(await group.rollCall(id)));
    }
    if (this.#mode === 'screen') this.#draw();
  }

  async #onAlert(alert: Alert, group: Group): Promise<void> {
    const who = this.#who(group, alert.from);
    const counts = ackCounts(await group.rollCall(alert.id));
    const fresh = this.#board.add({ alert, group: group.title, from: this.#label(group.id, alert.from), counts, expired: alert.expiresAt <= Date.now() });
    if (fresh) this.#emit({ type: 'alert', ...alertJson(alert, { group: group.title, from: who.fromName }, counts) });
  }

  async #answer(group: Group, alertId: string, event: JsonObject): Promise<void> {
    const counts = ackCounts(await group.rollCall(alertId));
    this.#board.setCounts(alertId, counts);
    this.#emit({ ...event, groupId: group.id, group: group.title, acks: counts });
  }

  #who(group: Group, accountId: string): { from: string; fromName: string | undefined } {
    return { from: accountId, fromName: this.#people.get(group.id)?.get(accountId)?.displayName };
  }

  /** `Rosa (admin)`, for people to read (roles and look-alike flags: see people.ts). */
  #label(groupId: string, accountId: string): string {
    return senderLabel(this.#people.get(groupId), accountId);
  }

  #emit(event: JsonObject): void {
    if (this.#mode === 'json') this.ctx.io.out(jsonLine(event));
    else if (this.#mode === 'lines') {
      if (event.type !== 'closed') this.ctx.io.out(terminalLine(describeEvent(event, Date.now(), (id) => this.#label(String(event['groupId']), id))));
    } else if (this.#ready && event.type !== 'closed') this.#draw();
  }

  #draw(): void {
    const header = `aviso listen — profile "${this.ctx.profile.name}"${this.#connection === 'open' ? '' : ` — ${this.#connection}`}`;
    // Each line passes the last net too: only our own CLEAR reaches the terminal as an escape.
    const frame = this.#board.render(Date.now(), header, this.ctx.io.columns()).map(terminalLine).join('\n');
    if (frame === this.#lastFrame) return; // redraw only on change: no flicker between minutes
    this.#lastFrame = frame;
    this.ctx.io.write(`${CLEAR}${frame}\n`);
  }
}
