import { LiveFeed, type FeedDetail, type FeedEvent, type FeedProblem } from '@aviso/agent';
import type { AvisoClient } from '@aviso/client';
import { CliError, restated } from '../cli-error.js';
import type { Parsed } from '../command.js';
import { serveControl } from '../control.js';
import { isHandover } from '../handover.js';
import { humanMessage, toCliError } from '../errors.js';
import { ackCounts, formatClock } from '../format.js';
import { say, sayEnglish, type MessageKey, type Params } from '../lang.js';
import { retryDelayMs, retryPolicy } from '../listen/retry.js';
import { AlertBoard, connectionLabel, describeEvent } from '../listen/view.js';
import { jsonLine, type JsonObject } from '../output.js';
import { checkRelay, withClient, type Context } from '../session.js';
import { senderLabel } from '../people.js';
import { terminalLine } from '../terminal-text.js';
import { activeGroups, findGroup } from './lookup.js';

const ENTER_SCREEN = '\x1b[?1049h\x1b[?25l';
const LEAVE_SCREEN = '\x1b[?25h\x1b[?1049l';
const CLEAR = '\x1b[H\x1b[2J';
/** Bold red, then back to normal: a current critical alert on the board. */
const CRITICAL_ON = '\x1b[1;31m';
const CRITICAL_OFF = '\x1b[0m';
const BELL = '\x07';
/** Piped output: at most one "catching up" line this often while a drain runs (the last one always). */
const CATCHING_UP_LINE_MS = 2000;

// What `listen` does; its name, help and flags are in ../catalog/sessions.ts.
export async function listen(ctx: Context, args: Parsed): Promise<void> {
  ctx.io.handleStop(); // Ctrl-C closes the connection and the store cleanly
  const session = new ListenSession(ctx);
  try {
    await withClient(
      ctx,
      { connect: true, live: true, forward: false, waitForRelay: (url) => session.waitForRelay(url), prepare: (client) => session.prepare(client, args.positionals[0]) },
      (client) => session.run(client),
    );
  } catch (err) {
    if (!(err instanceof StoppedWaiting)) throw err;
    if (ctx.out.json) ctx.io.out(jsonLine({ type: 'closed' })); // as when stopped after connecting
  } finally {
    session.leaveScreen();
  }
}

/** Ctrl-C while waiting for the relay: nothing to close yet but the store, which withClient closes. */
class StoppedWaiting extends Error {}

class ListenSession {
  readonly #board = new AlertBoard();
  readonly #mode: 'json' | 'screen' | 'lines';
  #feed: LiveFeed | undefined;
  #ready = false;
  #fatal: ((err: Error) => void) | undefined;
  #stop: (() => void) | undefined;
  #handedOver = false;
  #lastFrame = '';
  /** A new critical alert arrived since the last redraw: ring the terminal bell with it. */
  #ring = false;
  /** https://no-color.org: set and not empty turns colour off (the bell is not colour and stays). */
  readonly #colour: boolean;
  /** Warnings in the terminal's language, by their English message (what --json carries). */
  readonly #warnings = new Map<string, string>();
  #onScreen = false;
  /** While waiting for a relay that is down: the board's state words and why (before the feed exists). */
  #waiting: { state: string; why?: string } | undefined;
  /** Envelopes taken so far while a long offline drain runs (the feed's catching-up), for the board's state. */
  #catchingUp: number | undefined;
  #catchingUpLine = 0;

  constructor(private readonly ctx: Context) {
    this.#mode = ctx.out.json ? 'json' : ctx.io.stdoutIsTTY ? 'screen' : 'lines';
    this.#colour = this.#mode === 'screen' && !ctx.io.env['NO_COLOR'];
  }

  async prepare(client: AvisoClient, only: string | undefined): Promise<void> {
    const groups = only === undefined ? await activeGroups(client) : [await findGroup(client, only)];
    const feed = new LiveFeed(client, { describe: (p) => this.#describe(p), onFatal: (err) => this.#fatal?.(err) });
    this.#feed = feed;
    feed.on((event, detail) => this.#onEvent(event, detail));
    this.#enterScreen();
    this.#waiting = undefined;
    await feed.watch(groups);
  }

  /**
   * A relay that is down when listen starts is waited for (retry.ts: backoff with jitter and a cap),
   * with the state on the board, as a line when piped and as JSON objects; Ctrl-C stops at once,
   * even in the middle of an attempt. An untrusted certificate is not retried: waiting cannot fix it.
   */
  async waitForRelay(relayUrl: string): Promise<void> {
    const policy = retryPolicy(this.ctx.io.env);
    const stopped = this.ctx.io.stopped.then(() => 'stopped' as const);
    for (let attempt = 0; ; attempt++) {
      this.#waitState({ type: 'connection', state: 'connecting' }, say('cli.robust.listen.connecting'));
      const result = await Promise.race([checkRelay(relayUrl).then(() => 'up' as const, (err: unknown) => err), stopped]);
      if (result === 'stopped') throw new StoppedWaiting();
      if (result === 'up') {
        if (attempt > 0 && this.#mode === 'lines') this.ctx.io.out(terminalLine(say('cli.robust.listen.reached', { relay: relayUrl })));
        return;
      }
      if (!(result instanceof CliError) || result.code !== 'RELAY_DOWN') throw result;
      const until = Date.now() + retryDelayMs(policy, attempt);
      const seconds = () => Math.max(1, Math.ceil((until - Date.now()) / 1000));
      // --json carries the English message; the line and the board say it in the terminal's language.
      const restatedErr = restated(result, this.ctx.errors);
      const why = humanMessage(restatedErr);
      this.#waitState({ type: 'offline', code: result.code, message: restatedErr.message, relayUrl, retryInSeconds: seconds() }, say('cli.robust.listen.offline', { seconds: seconds() }), why);
      // The board counts down each second; the line and the JSON object were said once.
      while (Date.now() < until) {
        const step = new Promise<'next'>((r) => setTimeout(r, Math.min(1000, until - Date.now()), 'next'));
        if ((await Promise.race([step, stopped])) === 'stopped') throw new StoppedWaiting();
        if (this.#mode === 'screen' && Date.now() < until) this.#waitState(undefined, say('cli.robust.listen.offline', { seconds: seconds() }), why);
      }
    }
  }

  /** Says where the wait stands: a JSON object, a line (offline only: "connecting" each time is noise), or the board. */
  #waitState(event: JsonObject | undefined, state: string, why?: string): void {
    this.#waiting = why === undefined ? { state } : { state, why };
    if (this.#mode === 'json') {
      if (event) this.ctx.io.out(jsonLine(event));
    } else if (this.#mode === 'lines') {
      if (event?.type === 'offline') this.ctx.io.out(terminalLine(`${formatClock(Date.now())} ${say('cli.robust.listen.offlineLine', { reason: why ?? '', seconds: Number(event['retryInSeconds']) })}`));
    } else {
      this.#enterScreen();
      this.#draw();
    }
  }

  #enterScreen(): void {
    if (this.#mode !== 'screen' || this.#onScreen) return;
    this.ctx.io.write(ENTER_SCREEN);
    this.#onScreen = true;
  }

  /** Back to the terminal as it was, once (after the board, or after waiting for the relay). */
  leaveScreen(): void {
    if (!this.#onScreen) return;
    this.ctx.io.write(LEAVE_SCREEN);
    this.#onScreen = false;
  }

  async run(client: AvisoClient): Promise<void> {
    const feed = this.#feed!;
    await feed.settled();
    this.#ready = true;
    await feed.ready({ profile: this.ctx.profile.name });
    // Other commands on this profile (ack, alert, …) now run here, on this client.
    const nested = this.ctx.nested(client);
    const stopControl = await serveControl(this.ctx.profile, this.ctx.io.env, async (argv, io) => {
      if (isHandover(argv)) return this.#handOver(io.stopped);
      // Suggestions (`next: …`) are written the way this listen was started.
      const invokedAs = this.ctx.io.invokedAs;
      const status = await nested(argv, invokedAs === undefined ? io : { ...io, invokedAs });
      // Our own answers reach the store, not the event stream: refresh the board's counts.
      feed.enqueue(() => this.#refreshCounts(client));
      return status;
    });
    const tick = setInterval(() => {
      for (const e of this.#board.expire(Date.now())) this.#emit({ type: 'expired', alertId: e.alert.id, groupId: e.alert.groupId, group: e.group });
      if (this.#mode === 'screen') this.#draw();
    }, 1000);
    try {
      await new Promise<void>((resolve, reject) => {
        this.#fatal = reject;
        this.#stop = resolve;
        void this.ctx.io.stopped.then(resolve);
      });
    } finally {
      clearInterval(tick);
      await stopControl?.();
      await feed.settled();
      this.leaveScreen();
      if (this.#handedOver) {
        if (this.#mode === 'json') this.ctx.io.out(jsonLine({ type: 'handed-over', to: 'app' }));
        else this.ctx.io.out(say('cli.handedOver', { profile: this.ctx.profile.name }));
      }
      this.#ready = false;
      await feed.close(); // prints `closed`, and nothing after it
    }
  }

  /**
   * `aviso app` asks for the profile: say yes, and stop once the app has read the answer (its socket
   * closed), so it never races our client for the folder; the app then waits for the lock.
   */
  #handOver(answered: Promise<void>): number {
    this.#handedOver = true;
    void Promise.race([answered, new Promise((r) => setTimeout(r, 2000))]).then(() => this.#stop?.());
    return 0;
  }

  /** The board follows the feed; every event is then printed as JSON, a line or a redraw. */
  #onEvent(event: FeedEvent, detail: FeedDetail): void {
    const id = typeof event['alertId'] === 'string' ? event['alertId'] : undefined;
    switch (event.type) {
      case 'alert': {
        const { alert, group, counts } = detail;
        if (!alert || !group || !counts) break;
        const expired = alert.expiresAt <= Date.now();
        const added = this.#board.add({ alert, group: group.title, from: this.#label(group.id, alert.from), counts, expired });
        if (added && alert.severity === 'critical' && !expired && !alert.retracted && !alert.allClear) this.#ring = true;
        break;
      }
      case 'ack':
      case 'confirm':
      case 'dispute':
        if (id && detail.counts) this.#board.setCounts(id, detail.counts);
        break;
      case 'retract':
        if (id) this.#board.retract(id, String(event['reason'] ?? ''));
        break;
      case 'all-clear':
        if (id) this.#board.allClear(id);
        break;
      case 'text':
        if (detail.group) this.#board.addText({ sentAt: Number(event['sentAt']), group: detail.group.title, from: this.#label(detail.group.id, String(event['from'])), text: String(event['text']) });
        break;
      case 'warning':
        if (event['code'] === 'ALERT_DROPPED' && id) this.#board.retract(id, say('cli.board.senderRemoved'));
        break;
      case 'catching-up': {
        const complete = event['complete'] === true;
        this.#catchingUp = complete ? undefined : Number(event['done']);
        // Piped, a long drain is a line every few seconds and one at the end, not four a second.
        if (this.#mode === 'lines' && !complete && Date.now() - this.#catchingUpLine < CATCHING_UP_LINE_MS) return;
        this.#catchingUpLine = Date.now();
        // On the terminal, the board's state says it before listen is ready (the drain runs first).
        if (this.#mode === 'screen') return this.#draw();
        break;
      }
    }
    this.#emit(event);
  }

  /** A warning's code and English message for --json; the terminal's words are kept for the lines and the board. */
  #describe(problem: FeedProblem): { code: string; message: string } {
    const worded = (code: string, key: MessageKey, params: Params) => {
      const message = sayEnglish(key, params);
      this.#warnings.set(message, say(key, params));
      return { code, message };
    };
    switch (problem.kind) {
      case 'alert-dropped':
        return worded('ALERT_DROPPED', 'cli.warning.alertDropped', { id: problem.alertId.slice(0, 8) });
      case 'identity-changed':
        return worded('IDENTITY_CHANGED', 'cli.warning.identityChanged', { account: problem.accountId, short: problem.accountId.slice(0, 8) });
      case 'error': {
        const e = toCliError(problem.error, this.ctx.errors);
        this.#warnings.set(e.message, humanMessage(e));
        return { code: e.code, message: e.message };
      }
    }
  }

  async #refreshCounts(client: AvisoClient): Promise<void> {
    for (const id of this.#board.ids()) {
      const entry = this.#board.get(id)!;
      const group = client.group(entry.alert.groupId);
      if (group) this.#board.setCounts(id, ackCounts(await group.rollCall(id)));
    }
    if (this.#mode === 'screen') this.#draw();
  }

  /** `Rosa (admin)`, for people to read (roles and look-alike flags: see people.ts). */
  #label(groupId: string, accountId: string): string {
    return senderLabel(this.#feed?.people(groupId), accountId);
  }

  #emit(event: FeedEvent): void {
    if (this.#mode === 'json') this.ctx.io.out(jsonLine(event as JsonObject));
    else if (this.#mode === 'lines') {
      if (event.type !== 'closed') {
        const line = describeEvent(event as JsonObject, Date.now(), (id) => this.#label(String(event['groupId']), id), (message) => this.#warnings.get(message) ?? message);
        this.ctx.io.out(terminalLine(line));
      }
    } else if (this.#ready && event.type !== 'closed') this.#draw();
  }

  #draw(): void {
    const waiting = this.#waiting;
    const state = waiting?.state ?? (this.#catchingUp === undefined ? connectionLabel(this.#feed?.connection ?? 'connecting') : say('cli.connection.catchingUp', { done: this.#catchingUp }));
    const header = say('cli.board.headerState', { profile: this.ctx.profile.name, state });
    // Waiting for the relay, the board shows no alerts list at all: an empty one would read "no
    // alerts yet" to someone who cannot know whether there are any.
    const lines = waiting
      ? [say('cli.robust.listen.waitingHeader', { header }), '', ...(waiting.why ? [waiting.why] : [])].map((text) => ({ text, critical: false }))
      : this.#board.frame(Date.now(), header, this.ctx.io.columns());
    // Each line passes the last net too: only our own CLEAR and colour reach the terminal as escapes.
    const frame = lines
      .map((l) => (l.critical && this.#colour ? `${CRITICAL_ON}${terminalLine(l.text)}${CRITICAL_OFF}` : terminalLine(l.text)))
      .join('\n');
    const bell = this.#ring ? BELL : '';
    this.#ring = false;
    if (frame === this.#lastFrame && !bell) return; // redraw only on change: no flicker between minutes
    this.#lastFrame = frame;
    this.ctx.io.write(`${bell}${CLEAR}${frame}\n`);
  }
}
