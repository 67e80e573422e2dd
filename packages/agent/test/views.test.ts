import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert, Group, GroupMember, RollCall } from '@aviso/client';
import { describe, expect, it } from 'vitest';
import { ackCounts, alertJson, bySeverity, groupJson, groupPeople, memberJson } from '../src/views/index.js';

const README = readFileSync(join(import.meta.dirname, '..', '..', 'cli', 'README.md'), 'utf8');

/** The keys the CLI's README documents for a `--json` object, in order (`"type"` first). */
function documented(pattern: RegExp): string[] {
  const text = pattern.exec(README)?.[0];
  if (!text) throw new Error(`not documented: ${pattern}`);
  // `"type":"alert"` names the type's value, not a key.
  return [...text.replace(/\s+/g, '').replace(/"type":"[a-z-]+"/, '"type"').matchAll(/"([A-Za-z]+)"/g)].map((m) => m[1]!);
}

const alert: Alert = {
  id: 'a1b2c3d4-0000-4000-8000-000000000001',
  groupId: 'g1',
  from: 'f1',
  kind: 'checkpoint',
  severity: 'urgent',
  title: 'Checkpoint on Main St',
  body: 'second floor',
  place: { text: 'Main St 4', lat: 40.1, lon: -3.2 },
  observedAt: 1000,
  sentAt: 2000,
  expiresAt: 3000,
  requestAck: true,
  retracted: false,
  reason: undefined,
  allClear: false,
} as Alert;

const member = (accountId: string, role: GroupMember['role'], extra: Partial<GroupMember> = {}): GroupMember =>
  ({ accountId, role, displayName: undefined, confusableWith: [], invitedBy: undefined, ...extra }) as GroupMember;

describe('the JSON views', () => {
  it('give an alert every documented key, the counts under acks', () => {
    const roll: RollCall = { seen: ['x', 'y'], onMyWay: ['z'], onScene: [], cannot: [], confirmed: ['y'], disputed: [] };
    const json: Record<string, unknown> = { type: 'alert', ...alertJson(alert, { group: 'Eastside', from: 'Rosa' }, ackCounts(roll)) };
    const keys = documented(/An \*alert\*: `\{[^`]*\}`/);
    expect(keys.slice(0, keys.indexOf('acks') + 1)).toEqual(Object.keys(json));
    expect(keys.slice(keys.indexOf('acks') + 1)).toEqual(Object.keys(json['acks'] as object));
    expect(json).toMatchObject({ group: 'Eastside', fromName: 'Rosa', place: 'Main St 4', lat: 40.1, lon: -3.2, reason: undefined, acks: { seen: 2, onMyWay: 1, onScene: 0, cannot: 0, confirmed: 1, disputed: 0 } });
  });

  it('leave the counts out of an alert when there are none, and the place fields empty without a place', () => {
    const json = alertJson({ ...alert, place: undefined } as unknown as Alert, { group: 'Eastside', from: undefined }, undefined);
    expect(json).not.toHaveProperty('acks');
    expect(json).toMatchObject({ place: undefined, lat: undefined, lon: undefined, fromName: undefined });
  });

  it('order alerts most severe first, then newest', () => {
    const list = [
      { severity: 'info', sentAt: 5 },
      { severity: 'critical', sentAt: 1 },
      { severity: 'urgent', sentAt: 2 },
      { severity: 'critical', sentAt: 3 },
    ] as const;
    expect([...list].sort(bySeverity)).toEqual([list[3], list[1], list[2], list[0]]);
  });

  it('give a group every documented key, counting members only where one is a member', async () => {
    const people = [member('m1', 'admin'), member('m2', 'member')];
    const group = { id: 'g1', title: 'Eastside', status: 'member', role: 'admin', members: async () => people } as unknown as Group;
    const json = await groupJson(group);
    expect(Object.keys(json)).toEqual(documented(/`\{"type":"group"[^`]*\}`/));
    expect(json).toEqual({ type: 'group', id: 'g1', title: 'Eastside', status: 'member', role: 'admin', members: 2 });
    const pending = { id: 'g2', title: 'North', status: 'pending', role: undefined, members: async () => [] } as unknown as Group;
    expect((await groupJson(pending))['members']).toBeUndefined();
  });

  it('give a member every documented key, and index people by account id', async () => {
    const rosa = member('m2', 'member', { displayName: 'Rosa', invitedBy: 'm1', confusableWith: ['m3'] });
    const json = memberJson('g1', rosa, true);
    expect(Object.keys(json)).toEqual(documented(/`\{"type":"member"[^`]*\}`/));
    expect(json).toEqual({ type: 'member', groupId: 'g1', accountId: 'm2', displayName: 'Rosa', role: 'member', invitedBy: 'm1', you: true, confusableWith: ['m3'] });
    const people = await groupPeople({ members: async () => [member('m1', 'admin'), rosa] });
    expect([...people.keys()]).toEqual(['m1', 'm2']);
    expect(people.get('m2')).toBe(rosa);
  });
});
