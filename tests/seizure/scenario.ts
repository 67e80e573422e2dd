import { AvisoClient, MemoryStore, type Group } from '@aviso/client';
import type { ClientPool } from '../support/clients.js';
import type { RelayProcess } from '../support/relay.js';

/** A string the scenario handed to the SDK that the relay must never hold in any form. */
export interface Secret {
  label: string;
  value: string;
}

/** An account the scenario registered: what would identify it if it turned up in the wrong place. */
export interface ScenarioAccount {
  name: string;
  accountId: string;
  /** Serialized identity public key (33 bytes, type byte first). */
  identityKey: Uint8Array;
}

/** What the scenario did and everything the inventory must not find next to the wrong thing. */
export interface ScenarioOutcome {
  secrets: Secret[];
  accounts: ScenarioAccount[];
  /** Accounts that sent at least one envelope (group or 1:1). */
  senders: string[];
  groupIds: string[];
  /** Members whose devices are offline at the end (their envelopes stay queued). */
  offline: Array<{ name: string; accountId: string }>;
  /** The group creator's SDK data folder (SQLite store), while the pool still holds it: a member's phone. */
  adminPhoneDir: string;
  /** Every member's SDK data folder (SQLite stores), while the pool still holds them: their phones. */
  memberDirs: Array<{ name: string; dir: string }>;
  /** Human-readable lines for the report. */
  summary: string[];
  counts: Record<string, number>;
}

export type ScenarioSize = 'full' | 'small';

interface Member {
  name: string;
  client: AvisoClient;
  dir: string | undefined;
}

/**
 * A rapid-response network's week, compressed: groups with titles and descriptions, members with
 * display names (some non-ASCII), an open invite and one that needs approval, alerts with titles,
 * bodies and places, acknowledgements, confirm/dispute with notes, a retraction, an all-clear, texts,
 * direct messages, a member removed, and members offline at the end so envelopes stay queued.
 * `small` keeps the same shape with fewer members and messages (for the test suite).
 */
export async function runScenario(relay: RelayProcess, pool: ClientPool, size: ScenarioSize): Promise<ScenarioOutcome> {
  const secrets: Secret[] = [];
  const secret = <T extends string>(label: string, value: T): T => {
    secrets.push({ label, value });
    return value;
  };
  const summary: string[] = [];
  const counts = { groups: 0, accounts: 0, alerts: 0, acks: 0, verdicts: 0, retractions: 0, allClears: 0, texts: 0, directMessages: 0, removals: 0, approvals: 0, titleChanges: 0 } satisfies Record<string, number>;
  const senders = new Set<string>();
  const offline: Array<{ name: string; accountId: string }> = [];
  const members: Member[] = [];
  let memoryClient: AvisoClient | undefined;

  const fresh = async (name: string, memory = false): Promise<Member> => {
    if (memory) {
      // One member keeps its state in memory only (a kiosk or a throwaway phone): the relay must not care.
      const client = await AvisoClient.open({ store: new MemoryStore() });
      memoryClient = client;
      const m = { name, client, dir: undefined };
      members.push(m);
      return m;
    }
    const dir = pool.newDataDir(name.toLowerCase().replace(/[^a-z]/g, '') || 'member');
    const m = { name, client: await pool.open(dir), dir };
    members.push(m);
    return m;
  };
  const join = async (m: Member, code: string, displayName: string): Promise<Group> => {
    const g = await m.client.join(code, { displayName: secret(`display name of ${m.name}`, displayName) });
    counts.accounts = new Set(members.filter((x) => x.client.isRegistered).map((x) => x.client.accountId)).size;
    return g;
  };

  try {
    // ---- group 1: the neighbourhood's main alert group ----
    const rosa = await fresh('rosa');
    await rosa.client.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
    const g1 = await rosa.client.createGroup({
      title: secret('group title', 'Compton Rapid Response — Slauson y Alameda'),
      description: secret('group description', 'Verify before you post. Legal hotline: ask Marisol, not the group.'),
      displayName: secret('display name of rosa', 'Rosa Elena Martínez'),
    });
    counts.groups++;
    const openInvite = await g1.createInvite({ expiresInSeconds: 3600, maxUses: 10, requireApproval: false });
    const tomas = await fresh('tomas');
    const t1 = await join(tomas, openInvite, 'Tomás Gutiérrez');
    const keisha = await fresh('keisha');
    const k1 = await join(keisha, openInvite, 'Keisha Washington');
    const lan = await fresh('lan');
    const l1 = await join(lan, openInvite, 'Nguyễn Thị Lan');
    const dmitri = await fresh('dmitri');
    const d1 = await join(dmitri, openInvite, 'Dmitri Volkov');
    let extra: Array<{ m: Member; g: Group }> = [];
    if (size === 'full') {
      for (const [name, display] of [
        ['ana', 'Ana Lucía Ramírez'],
        ['jamal', 'Jamal Okonkwo'],
      ] as const) {
        const m = await fresh(name);
        extra.push({ m, g: await join(m, openInvite, display) });
      }
    }
    // An invite that needs an admin's approval: the newcomer is pending until Rosa approves.
    const gated = await g1.createInvite({ expiresInSeconds: 7200, maxUses: 2, requireApproval: true });
    const carmen = await fresh('carmen');
    const c1 = await join(carmen, gated, 'Abuelita Carmen Reyes');
    await g1.sync();
    await g1.approve(carmen.client.accountId);
    counts.approvals++;
    await c1.sync();
    summary.push(`group 1: created by an admin, ${4 + extra.length} members joined by an open invite, 1 by an invite that needed approval (approved)`);

    const g1Members = [
      { m: rosa, g: g1 },
      { m: tomas, g: t1 },
      { m: keisha, g: k1 },
      { m: lan, g: l1 },
      { m: dmitri, g: d1 },
      { m: carmen, g: c1 },
      ...extra,
    ];
    for (const { m, g } of g1Members) {
      await g.sync();
      await m.client.connect();
    }

    const raid = await g1.sendAlert({
      kind: 'raid',
      severity: 'critical',
      title: secret('alert title', 'Agents staging at the car wash on Slauson'),
      body: secret('alert body', 'Two unmarked white vans and a black SUV, six agents in vests'),
      place: { text: secret('alert place', 'Slauson Ave & Compton Ave, behind the Superior market'), lat: 33.98912, lon: -118.24817 },
      requestAck: true,
    });
    secrets.push({ label: 'alert coordinates (as given)', value: '33.98912' }, { label: 'alert coordinates (as given)', value: '-118.24817' });
    secrets.push({ label: 'alert coordinates (rounded, as sent)', value: '-118.25' });
    senders.add(rosa.client.accountId);
    counts.alerts++;
    await t1.acknowledge(raid, 'on-my-way');
    senders.add(tomas.client.accountId);
    await k1.acknowledge(raid, 'seen');
    senders.add(keisha.client.accountId);
    await t1.acknowledge(raid, 'on-scene');
    counts.acks += 3;
    await k1.confirm(raid, secret('confirm note', 'Confirmed from the bus stop, they are checking IDs'));
    await d1.dispute(raid, secret('dispute note', 'I drove past, only a tow truck'));
    senders.add(dmitri.client.accountId);
    counts.verdicts += 2;
    await t1.sendText(secret('group text', 'Filming from across the street, legal observer with me'));
    counts.texts++;

    // Direct messages between two members (1:1 sessions, sealed sender).
    await tomas.client.sendDirect(keisha.client.accountId, { text: secret('direct message', 'Can you bring the know-your-rights cards to the corner?') });
    await keisha.client.sendDirect(tomas.client.accountId, { text: secret('direct message reply', 'Yes, ten minutes, I have 40 cards in Spanish') });
    counts.directMessages += 2;

    // Dmitri (the disputer) is removed and banned; everyone's sender key resets.
    await g1.remove(dmitri.client.accountId, { ban: true });
    counts.removals++;
    await g1.setTitle(secret('renamed group title', 'CRR Slauson — verified reports only'));
    counts.titleChanges++;
    summary.push('group 1: one member removed and banned, the title changed afterwards');
    for (const { g } of g1Members) if (g !== d1) await g.sync();

    // Lan and Carmen go offline: what follows stays queued for them.
    await lan.client.close();
    await carmen.client.close();
    offline.push({ name: lan.name, accountId: lan.client.accountId }, { name: carmen.name, accountId: carmen.client.accountId });
    const checkpoint = await g1.sendAlert({
      kind: 'checkpoint',
      severity: 'urgent',
      title: secret('second alert title', 'Checkpoint on Alameda at 103rd'),
      place: secret('second alert place', 'Alameda St and E 103rd St, northbound'),
      requestAck: false,
    });
    counts.alerts++;
    await g1.retract(raid, secret('retraction reason', 'Vans were a moving company, stand down'));
    counts.retractions++;
    await g1.allClear(checkpoint);
    counts.allClears++;
    await k1.sendText(secret('late group text', 'Thanks all, debrief Thursday at the church hall'));
    counts.texts++;
    summary.push('group 1: 2 alerts (one with title, body, place and coordinates), 3 acks, a confirm and a dispute with notes, a retraction, an all-clear, 2 texts; 2 members offline for the last 4 messages');

    // ---- group 2: a smaller group, overlapping members, a different admin ----
    const g2 = await keisha.client.createGroup({
      title: secret('second group title', 'Legal observers Boyle Heights'),
      displayName: secret('display name in second group', 'Keisha W. (legal)'),
    });
    counts.groups++;
    const g2Invite = await g2.createInvite({ expiresInSeconds: 3600, maxUses: 3, requireApproval: false });
    const t2 = await tomas.client.join(g2Invite, { displayName: secret('display name in second group', 'Tomás (observer)') });
    await g2.sync();
    const obs = await g2.sendAlert({
      kind: 'sighting',
      severity: 'info',
      title: secret('third alert title', 'Observers needed at the courthouse steps'),
      body: secret('third alert body', 'Hearing at 9, bring a notebook and a charged phone'),
      requestAck: true,
    });
    counts.alerts++;
    await t2.acknowledge(obs, 'cannot');
    counts.acks++;
    summary.push('group 2: a second admin, a member shared with group 1 (unlinkable pseudonyms), an alert and a "cannot" ack');

    const groupIds = [g1.id, g2.id];
    if (size === 'full') {
      // ---- group 3: created by the member whose state lives in memory only ----
      const night = await fresh('night', true);
      await night.client.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
      const g3 = await night.client.createGroup({
        title: secret('third group title', 'Night dispatch — Huntington Park'),
        displayName: secret('display name of the dispatcher', 'Dispatcher Ximena'),
      });
      counts.groups++;
      const code = await g3.createInvite({ expiresInSeconds: 3600, maxUses: 2, requireApproval: false });
      const ana = extra[0]!;
      const a3 = await ana.m.client.join(code, { displayName: secret('display name in third group', 'Ana (night shift)') });
      await g3.sync();
      await night.client.connect();
      await g3.sendText(secret('third group text', 'Shift change at 2am, radios on channel 4'));
      counts.texts++;
      await a3.sendText(secret('third group reply', 'Copy, on channel 4 from 2am'));
      counts.texts++;
      await a3.acknowledge((await g3.sendAlert({ kind: 'patrol', severity: 'info', title: secret('night alert title', 'Patrol car circling Pacific Blvd'), requestAck: true })), 'seen');
      counts.alerts++;
      counts.acks++;
      senders.add(night.client.accountId);
      senders.add(ana.m.client.accountId);
      groupIds.push(g3.id);
      // Jamal goes offline before a last direct message reaches him.
      const jamal = extra[1]!;
      await jamal.m.client.close();
      offline.push({ name: jamal.m.name, accountId: jamal.m.client.accountId });
      // The dispatcher's in-memory client closes at the end of the scenario, with whatever is still owed to it.
      offline.push({ name: night.name, accountId: night.client.accountId });
      await ana.m.client.sendDirect(jamal.m.client.accountId, { text: secret('offline direct message', 'Jamal, call me when you see this, about Saturday') });
      counts.directMessages++;
      summary.push('group 3: created by a member whose SDK state is in memory only (MemoryStore), texts, an alert and an ack; 1 direct message left queued for an offline member');
    }
    extra = [];

    const accounts = members
      .filter((m) => m.client.isRegistered)
      .map((m) => ({ name: m.name, accountId: m.client.accountId, identityKey: m.client.identityKey }));
    counts.accounts = accounts.length;
    return { secrets: dedupe(secrets), accounts, senders: [...senders], groupIds, offline, adminPhoneDir: rosa.dir!, memberDirs: members.flatMap((m) => (m.dir ? [{ name: m.name, dir: m.dir }] : [])), summary, counts };
  } finally {
    await memoryClient?.close();
  }
}

function dedupe(secrets: Secret[]): Secret[] {
  const seen = new Set<string>();
  return secrets.filter((s) => (seen.has(s.value) ? false : (seen.add(s.value), true)));
}
