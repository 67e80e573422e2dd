import { ConnectedElsewhereError, type Alert, type AvisoClient, type AvisoClientEventContexts, type AvisoClientEvents, type ConnectionState, type Group } from '@aviso/client';
import { ackCounts, alertJson, type AckCounts } from '../views/alerts.js';
import { groupPeople, type People } from '../views/groups.js';

/**
 * One event of a member's live feed, in the stable JSON shape `aviso listen --json` prints (one object
 * per line, each with a `type`; packages/cli/README.md lists them) and the app receives.
 */
export type FeedEvent = { type: string } & Record<string, unknown>;

/** The SDK objects behind an event, for a front end that keeps its own view (the terminal board). */
export interface FeedDetail {
  group?: Group;
  alert?: Alert;
  counts?: AckCounts;
}

/** Something the member should be told, which the front end words in its own language. */
export type FeedProblem =
  | { kind: 'error'; error: unknown }
  | { kind: 'identity-changed'; accountId: string }
  | { kind: 'alert-dropped'; alertId: string };

export interface FeedOptions {
  /** A warning's code and message, in the front end's words (the CLI's error table, the app's catalog). */
  describe(problem: FeedProblem): { code: string; message: string };
  /** Another device took this account's connection: the feed cannot go on. */
  onFatal(err: Error): void;
}

type Listener = (event: FeedEvent, detail: FeedDetail) => void;
type ClientEvent = keyof AvisoClientEvents;
type Handler<K extends ClientEvent> = (payload: AvisoClientEvents[K], context: AvisoClientEventContexts[K & keyof AvisoClientEventContexts]) => void;

/**
 * A member's live view of their groups, shared by `aviso listen` and the app: subscribes to the client,
 * keeps who is who per group (for names and roles), answers each event in order, one at a time (an ack
 * must not overtake the alert it answers), shows each alert once, and words every event as JSON.
 */
export class LiveFeed {
  readonly #people = new Map<string, People>();
  readonly #watched = new Set<string>();
  readonly #shown = new Set<string>();
  readonly #listeners = new Set<Listener>();
  readonly #unsubscribe: (() => void)[] = [];
  #chain: Promise<void> = Promise.resolve();
  #connection: ConnectionState | 'connecting' = 'connecting';
  #ready = false;

  constructor(
    private readonly client: AvisoClient,
    private readonly options: FeedOptions,
  ) {}

  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Who is who in a watched group (display names, roles, look-alike flags). */
  people(groupId: string): People | undefined {
    return this.#people.get(groupId);
  }

  get watched(): readonly string[] {
    return [...this.#watched];
  }

  get connection(): ConnectionState | 'connecting' {
    return this.#connection;
  }

  /**
   * Ready and connected: the watched groups' who-is-who here is kept current by the client's group
   * events, so a reader may use `people()` instead of syncing each group with the relay again.
   */
  get live(): boolean {
    return this.#ready && this.#connection === 'open';
  }

  /**
   * Starts watching `groups`: their current alerts are shown first (as `alert` events), then whatever
   * the client receives. Call before connecting, so the relay's queued messages are seen too. A
   * later call adds groups (after a join): their alerts are shown, and the client is listened to once.
   */
  async watch(groups: readonly Group[]): Promise<void> {
    for (const g of groups) {
      this.#watched.add(g.id);
      this.#people.set(g.id, await groupPeople(g));
    }
    for (const g of groups) {
      if (g.status !== 'member') continue;
      for (const alert of await g.alerts()) await this.#onAlert(alert, g);
    }
    if (this.#unsubscribe.length === 0) this.#subscribe();
  }

  /**
   * Everything received so far has been shown; from here on `connection` changes are news too.
   * Emits `ready` with the watched groups.
   */
  async ready(extra: Record<string, unknown> = {}): Promise<void> {
    await this.#chain;
    this.#ready = true;
    this.#emit({ type: 'ready', ...extra, accountId: this.client.accountId, groups: this.watched.map((id) => ({ id, title: this.client.group(id)?.title })) });
  }

  /** Waits for the events received so far to be shown. */
  settled(): Promise<void> {
    return this.#chain;
  }

  /** Runs `fn` in the feed's order (after every event received so far); its failure becomes a warning. */
  enqueue(fn: () => Promise<void>): void {
    this.#chain = this.#chain.then(fn).catch((err: unknown) => this.#warn({ kind: 'error', error: err }));
  }

  /** Stops listening to the client and emits `closed` once what was received has been shown. */
  async close(): Promise<void> {
    for (const off of this.#unsubscribe.splice(0)) off();
    await this.#chain;
    this.#emit({ type: 'closed' });
    this.#ready = false; // the client's own shutdown is not news
  }

  /** Listens to one client event until `close()`. */
  #listen<K extends ClientEvent>(event: K, handler: Handler<K>): void {
    this.client.on(event, handler);
    this.#unsubscribe.push(() => this.client.off(event, handler));
  }

  /** A group message's handler, run in the feed's order and only for watched groups. */
  #inGroup<T>(fn: (payload: T, g: Group) => Promise<void>): (payload: T, g: Group) => void {
    return (payload, g) => this.#queue(g, () => fn(payload, g));
  }

  #subscribe(): void {
    this.#listen('alert', this.#inGroup((a, g) => this.#onAlert(a, g)));
    this.#listen('ack', this.#inGroup((a, g) => this.#answer(g, a.alertId, { type: 'ack', alertId: a.alertId, status: a.status, ...this.#who(g, a.from) })));
    this.#listen('confirm', this.#inGroup((a, g) => this.#answer(g, a.alertId, { type: 'confirm', alertId: a.alertId, note: a.note, ...this.#who(g, a.from) })));
    this.#listen('dispute', this.#inGroup((a, g) => this.#answer(g, a.alertId, { type: 'dispute', alertId: a.alertId, note: a.note, ...this.#who(g, a.from) })));
    this.#listen(
      'retract',
      this.#inGroup(async (r, g) => this.#emit({ type: 'retract', alertId: r.alertId, groupId: g.id, group: g.title, reason: r.reason, ...this.#who(g, r.from) }, { group: g })),
    );
    this.#listen('all-clear', this.#inGroup(async (r, g) => this.#emit({ type: 'all-clear', alertId: r.alertId, groupId: g.id, group: g.title, ...this.#who(g, r.from) }, { group: g })));
    this.#listen('text', this.#inGroup(async (t, g) => this.#emit({ type: 'text', groupId: g.id, group: g.title, text: t.text, sentAt: t.sentAt, ...this.#who(g, t.from) }, { group: g })));
    this.#listen('group', (e) => {
      const g = this.client.group(e.groupId);
      if (!g) return;
      this.#queue(g, async () => {
        this.#people.set(g.id, await groupPeople(g));
        this.#emit({ type: 'group', groupId: g.id, group: g.title, event: e.type, accountId: e.accountId, version: e.version }, { group: g });
      });
    });
    // A long offline drain (the SDK's drain-progress), in order with the alerts it surfaces: a front
    // end says "catching up" instead of looking idle, and "caught up" once it is.
    this.#listen('drain-progress', (p) => this.enqueue(async () => this.#emit({ type: 'catching-up', done: p.done, pending: p.pending, complete: p.complete })));
    this.#listen('connection', (state) => {
      if (this.#ready && this.#connection !== state) this.#emit({ type: 'connection', state });
      this.#connection = state;
    });
    // A removed member's alert leaves the SDK's book; a front end marks it rather than hiding it silently.
    this.#listen('alert-dropped', (d) => this.#warn({ kind: 'alert-dropped', alertId: d.alertId }));
    this.#listen('group-withheld', (err) => this.#warn({ kind: 'error', error: err }));
    this.#listen('identity-mismatch', (err) => this.#warn({ kind: 'error', error: err }));
    this.#listen('identity-changed', ({ accountId }) => this.#warn({ kind: 'identity-changed', accountId }));
    this.#listen('error', (err) => {
      if (err instanceof ConnectedElsewhereError) return this.options.onFatal(err);
      if (this.#connection !== 'open') return; // reconnect failures: the connection events tell that story
      this.#warn({ kind: 'error', error: err });
    });
  }

  #queue(group: Group, fn: () => Promise<void>): void {
    if (!this.#watched.has(group.id)) return;
    this.enqueue(fn);
  }

  async #onAlert(alert: Alert, group: Group): Promise<void> {
    if (this.#shown.has(alert.id)) return; // a duplicate delivery: shown once
    this.#shown.add(alert.id);
    const who = this.#who(group, alert.from);
    const counts = ackCounts(await group.rollCall(alert.id));
    this.#emit({ type: 'alert', ...alertJson(alert, { group: group.title, from: who.fromName }, counts) }, { group, alert, counts });
  }

  async #answer(group: Group, alertId: string, event: FeedEvent): Promise<void> {
    const counts = ackCounts(await group.rollCall(alertId));
    this.#emit({ ...event, groupId: group.id, group: group.title, acks: counts }, { group, counts });
  }

  #who(group: Group, accountId: string): { from: string; fromName: string | undefined } {
    return { from: accountId, fromName: this.#people.get(group.id)?.get(accountId)?.displayName };
  }

  #warn(problem: FeedProblem): void {
    const { code, message } = this.options.describe(problem);
    this.#emit({ type: 'warning', code, message, ...(problem.kind === 'alert-dropped' ? { alertId: problem.alertId } : {}) });
  }

  #emit(event: FeedEvent, detail: FeedDetail = {}): void {
    for (const listener of this.#listeners) listener(event, detail);
  }
}
