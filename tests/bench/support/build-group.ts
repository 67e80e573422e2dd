import { RawGroup, RawMember, type Joiner, type RawInvite, type RelayMeta } from '../../support/raw-group.js';
import { mapLimit, ms } from './stats.js';

/**
 * A private group of raw members (tests/support/raw-group.ts) built as fast as the relay allows: the next
 * batch registers and makes its presentations while the current batch's joins are appended (joins are
 * chained, so they go one at a time).
 */
export async function buildRawGroup(r: {
  meta: RelayMeta;
  token: string;
  members: number;
  concurrency: number;
  /** Uses the invite allows beyond `members` (for SDK clients that join afterwards). */
  spareUses: number;
  log: (line: string) => void;
}): Promise<{ group: RawGroup; invite: RawInvite; members: RawMember[] }> {
  const admin = await RawMember.register(r.meta, r.token);
  const group = await RawGroup.create(r.meta, admin, 'Benchmark');
  const invite = await group.createInvite({ maxUses: r.members + r.spareUses });
  const members = [admin];
  const started = performance.now();
  const BATCH = 100;
  const prepare = (from: number, n: number) => mapLimit(Array.from({ length: n }, (_, i) => from + i), r.concurrency, (k) => group.prepareJoiner(r.token, `member ${k}`));
  let prepared: Promise<Joiner[]> = prepare(1, Math.min(BATCH, r.members - 1));
  while (members.length < r.members) {
    const batch = await prepared;
    const next = members.length + batch.length;
    if (next < r.members) {
      prepared = prepare(next, Math.min(BATCH, r.members - next));
      prepared.catch(() => undefined); // awaited on the next turn
    }
    for (const joiner of batch) {
      await group.join(joiner, invite);
      members.push(joiner.member);
      if (members.length % 500 === 0) r.log(`  ${String(members.length).padStart(6)} members  ${ms(performance.now() - started).padStart(8)}`);
    }
  }
  return { group, invite, members };
}
