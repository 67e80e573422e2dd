import { fetchRelayFingerprint, normalizeDisplayName, parseFingerprint, type AvisoClient, type Group } from '@aviso/client';
import { ACK_STATUSES, ALERT_KINDS, ALERT_LIMITS, SEVERITIES } from '@aviso/protocol';
import { AgentError } from '../errors.js';
import { readSettings, writeSettings, type Profile } from '../profile.js';
import { pastedInviteCode } from '../pasted-code.js';
import { checkRelay } from '../session.js';
import { ackCounts, alertJson } from '../views/alerts.js';
import type { LiveFeed } from '../live/feed.js';
import { groupJson, groupPeople, type People } from '../views/groups.js';
import { activeGroups, allAlerts } from '../views/lookup.js';

/** How long the fingerprint check waits for GET /v1/relay (the health check before it waits 5 s). */
const RELAY_CHECK_TIMEOUT_MS = 10_000;

/** Why a body field is unusable: BAD_REQUEST (400), naming the field, never echoing its value. */
export function bad(field: string, why: string): AgentError {
  return new AgentError('BAD_REQUEST', `${field} ${why}`, 2);
}

export type Body = Record<string, unknown>;

/** The longest relay address the app accepts (a URL longer than this is a mistake or an attack). */
export const MAX_RELAY_URL = 2048;

/** `relayUrl` of a body: an http:// or https:// address of at most MAX_RELAY_URL characters. */
export function relayUrlField(body: Body): string {
  const relayUrl = text(body, 'relayUrl', MAX_RELAY_URL)!.trim();
  let url: URL;
  try {
    url = new URL(relayUrl);
  } catch {
    throw bad('relayUrl', 'is not an address (it looks like https://relay.example.org)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('relayUrl', 'must start with http:// or https://');
  // Credentials in the address would be sent to whoever answers, and shown back on screen.
  if (url.username !== '' || url.password !== '') throw bad('relayUrl', 'must not carry a user name or password');
  return relayUrl;
}

/** A relay fingerprint as the app shows it: the digits to keep, and the grouped lines to read. */
export function fingerprintJson(f: { sha256Hex: string; lines: string[] }): Record<string, unknown> {
  return { sha256Hex: f.sha256Hex, lines: f.lines };
}

export function text(body: Body, field: string, max: number, optional = false): string | undefined {
  const v = body[field];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw bad(field, 'is required');
  if ([...v].length > max) throw bad(field, `is longer than ${max} characters`);
  return v;
}

export function oneOf<T extends string>(body: Body, field: string, values: readonly T[], fallback?: T): T {
  const v = body[field] ?? fallback;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw bad(field, `must be one of ${values.join(', ')}`);
  return v as T;
}

/**
 * What the app can ask of the member host: the same SDK calls the CLI's commands make, returning the
 * same JSON views (views/), so the app and `--json` never disagree.
 */
export class AppApi {
  constructor(
    private readonly client: AvisoClient,
    private readonly profile: Profile,
    /** Called after register or join: the feed must now watch the new account or group. */
    private readonly changed: () => Promise<void>,
    /** The host's live feed, when it runs: while live, the alerts view reads who is who from it. */
    private readonly feed: () => LiveFeed | undefined = () => undefined,
  ) {}

  profileJson(): Record<string, unknown> {
    const registered = this.client.isRegistered;
    return {
      type: 'profile',
      profile: this.profile.name,
      registered,
      accountId: registered ? this.client.accountId : undefined,
      relayUrl: registered ? this.client.relayUrl : undefined,
      relayFingerprint: registered ? fingerprintJson(this.client.relayFingerprint) : undefined,
      displayName: readSettings(this.client).displayName,
    };
  }

  /**
   * The fingerprint of the relay at an address the member typed, before registering: the app shows
   * it to compare with the organiser's, then sends it back with the registration.
   */
  async relayFingerprint(body: Body): Promise<Record<string, unknown>> {
    const relayUrl = relayUrlField(body);
    await checkRelay(relayUrl); // RELAY_DOWN / TLS_UNTRUSTED in the words the register path uses
    return { type: 'relay-fingerprint', relayUrl, ...fingerprintJson(await fetchRelayFingerprint(relayUrl, { timeoutMs: RELAY_CHECK_TIMEOUT_MS })) };
  }

  async register(body: Body): Promise<Record<string, unknown>> {
    const relayUrl = relayUrlField(body);
    const token = text(body, 'token', 512)!;
    const name = text(body, 'displayName', 64, true);
    const displayName = name === undefined ? undefined : normalizeDisplayName(name);
    // The fingerprint the member compared: registration pins exactly that trust root or nothing.
    const checked = text(body, 'fingerprint', 256, true);
    let expectFingerprint: string | undefined;
    try {
      expectFingerprint = checked === undefined ? undefined : parseFingerprint(checked);
    } catch {
      throw bad('fingerprint', 'is not 64 hex digits');
    }
    if (this.client.isRegistered) throw new AgentError('ALREADY_REGISTERED', `profile "${this.profile.name}" is already registered`);
    await checkRelay(relayUrl);
    const { accountId } = await this.client.register({ relayUrl, registrationToken: token, expectFingerprint });
    if (displayName) writeSettings(this.client, { ...readSettings(this.client), displayName });
    await this.changed();
    return { type: 'registered', profile: this.profile.name, accountId, relayUrl, relayFingerprint: fingerprintJson(this.client.relayFingerprint) };
  }

  async join(body: Body): Promise<Record<string, unknown>> {
    const invite = pastedInviteCode(text(body, 'invite', 4096)!); // a link wrapped over lines in a chat still joins
    const displayName = normalizeDisplayName(text(body, 'displayName', 64)!);
    const group = await this.client.join(invite, { displayName }) // a link or a bare code: the SDK parses both;
    writeSettings(this.client, { ...readSettings(this.client), displayName });
    await this.changed();
    // join() refused any relay whose trust root is not the invite's: what is pinned now is the invite's.
    return { type: 'joined', accountId: this.client.accountId, groupId: group.id, group: group.title, status: group.status, relayFingerprint: fingerprintJson(this.client.relayFingerprint) };
  }

  async groups(): Promise<unknown[]> {
    if (!this.client.isRegistered) return [];
    return Promise.all((await activeGroups(this.client)).map((g) => groupJson(g)));
  }

  /** Current alerts, newest first, each with the sender's role and this member's own answer. */
  async alerts(): Promise<unknown[]> {
    if (!this.client.isRegistered) return [];
    const me = this.client.accountId;
    // A live feed already holds the watched groups and their people, kept current by the client's
    // group events: reading them saves two relay round trips per group (groups(), then members()),
    // which would also queue ahead of the next alert's own group sync. Without it, sync as before.
    const feed = this.feed();
    const live = feed?.live ? feed : undefined;
    const groups = live ? live.watched.map((id) => this.client.group(id)).filter((g): g is Group => g !== undefined && g.status !== 'removed') : undefined;
    const found = (await allAlerts(this.client, groups)).sort((a, b) => b.alert.sentAt - a.alert.sentAt);
    const out: unknown[] = [];
    const people = new Map<string, People>();
    for (const { alert, group } of found) {
      if (!people.has(group.id)) people.set(group.id, live?.people(group.id) ?? (await groupPeople(group)));
      const sender = people.get(group.id)!.get(alert.from);
      const roll = await group.rollCall(alert.id);
      const mine = roll.onScene.includes(me) ? 'on-scene' : roll.onMyWay.includes(me) ? 'on-my-way' : roll.cannot.includes(me) ? 'cannot' : roll.seen.includes(me) ? 'seen' : undefined;
      out.push({ type: 'alert', ...alertJson(alert, { group: group.title, from: sender?.displayName }, ackCounts(roll)), fromRole: sender?.role, mine, mineSent: alert.from === me });
    }
    return out;
  }

  async sendAlert(body: Body): Promise<Record<string, unknown>> {
    const group = this.#group(text(body, 'groupId', 128)!);
    const kind = oneOf(body, 'kind', ALERT_KINDS);
    const severity = oneOf(body, 'severity', SEVERITIES, 'urgent');
    const place = text(body, 'place', ALERT_LIMITS.placeChars)!;
    const title = text(body, 'title', ALERT_LIMITS.titleChars, true) ?? kind;
    const alertBody = text(body, 'body', ALERT_LIMITS.bodyChars, true);
    const id = await group.sendAlert({ kind, severity, title, place, ...(alertBody === undefined ? {} : { body: alertBody }), requestAck: severity !== 'info' });
    return { type: 'alert-sent', id, groupId: group.id };
  }

  async ack(alertId: string, body: Body): Promise<Record<string, unknown>> {
    const status = oneOf(body, 'status', ACK_STATUSES);
    const group = await this.#alertGroup(alertId);
    await group.acknowledge(alertId, status);
    return { type: 'acked', alertId, groupId: group.id, status };
  }

  async verdict(alertId: string, verdict: 'confirm' | 'dispute', body: Body): Promise<Record<string, unknown>> {
    const note = text(body, 'note', ALERT_LIMITS.noteChars, true);
    const group = await this.#alertGroup(alertId);
    await group[verdict](alertId, note);
    return { type: verdict === 'confirm' ? 'confirmed' : 'disputed', alertId, groupId: group.id };
  }

  #group(id: string) {
    const group = this.client.isRegistered ? this.client.group(id) : undefined;
    if (!group || group.status !== 'member') throw new AgentError('NOT_FOUND', 'no such group');
    return group;
  }

  async #alertGroup(alertId: string) {
    const found = (await allAlerts(this.client)).find((f) => f.alert.id === alertId);
    if (!found) throw new AgentError('NOT_FOUND', 'no such current alert');
    return found.group;
  }
}
