import { RawGroup, RawMember, type RawInvite, type RelayMeta } from '../../support/raw-group.js';

/**
 * A second, large group on the same relay whose endorsements are issued again and again while alerts
 * go to the first one: each round bumps the group's version (the admin sets its title), so the
 * relay's per-version cache misses and it issues endorsements for every member anew. This is the
 * heaviest zkgroup work a relay does, and what stalled every member's delivery when it ran on the
 * event loop (docs/architecture.md, "Off the event loop").
 */
export class BusyGroup {
  #running = false;
  #loop: Promise<void> | undefined;
  /** Wall time of each issue, ms (version bump excluded). */
  readonly issues: number[] = [];

  constructor(readonly group: RawGroup) {}

  static async build(
    meta: RelayMeta,
    token: string,
    members: number,
    addMembers: (group: RawGroup, invite: RawInvite, token: string, count: number, offset: number) => Promise<unknown>,
  ): Promise<BusyGroup> {
    const admin = await RawMember.register(meta, token);
    const group = await RawGroup.create(meta, admin, 'Busy');
    const invite = await group.createInvite({ maxUses: members + 10 });
    await addMembers(group, invite, token, members - 1, 1);
    return new BusyGroup(group);
  }

  start(): void {
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running) {
        await this.group.setTitle();
        const started = performance.now();
        const res = await this.group.endorsements();
        this.issues.push(performance.now() - started);
        if (res.members.length < 2) throw new Error('the busy group lost its members');
      }
    })();
  }

  /** Stops after the issue in progress. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }
}
