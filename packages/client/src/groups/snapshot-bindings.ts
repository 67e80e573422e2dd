import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { GroupChangeEvent } from '../crypto/group-chain.js';
import type { GroupKeys } from '../crypto/group-keys.js';
import { applyBindings, checkBinding, unresolvedEntry, type BindingCheck } from '../crypto/group-snapshot-state.js';
import type { GroupState } from '../stores/group-state.js';
import type { AvisoStore, GroupRecord } from '../stores/interfaces.js';
import type { EventSink } from '../util/events.js';
import { errInfo, type Logger } from '../util/logger.js';

/** Bindings checked between two yields to the event loop: ~0.15 ms each, so a chunk holds the loop for ~30 ms. */
export const BINDING_CHUNK = 200;

export interface SnapshotBindingsDeps {
  store: AvisoStore;
  events: EventSink<{ group: GroupChangeEvent }>;
  logger: Logger;
  /** Runs `fn` as one operation of the group log's queue (the results land between two syncs, never inside one). */
  serialize: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The group's keys (`rec` when the caller has the record: finding the master key otherwise reads it). */
  keysOf: (groupId: string, rec?: GroupRecord) => GroupKeys;
}

/**
 * The identity bindings of a newcomer's snapshot members, checked after `join()` returned
 * (docs/groups.md "How a newcomer joins"). The join stores the state with those members
 * `unresolved` and without identity keys, which every consumer already treats as unverified; this
 * checks them in chunks that yield to the event loop, and stores the keys (and reports the
 * failures) in one commit. A crash before that commit leaves them unresolved, and the next
 * connection (or send, or members()) checks them again. A send waits for `settled`; a message
 * from a member not reached yet is checked on the spot by `keyNow`.
 */
export class SnapshotBindings {
  readonly #d: SnapshotBindingsDeps;
  readonly #running = new Map<string, Promise<void>>();
  /**
   * Groups whose stored state was seen with nothing unresolved: a send asks on every call, and
   * reading a record parses the whole member list. Only a join stores an unresolved list, and it
   * passes its record (`current`), which is always looked at.
   */
  readonly #clear = new Set<string>();
  #stopped = false;

  constructor(deps: SnapshotBindingsDeps) {
    this.#d = deps;
  }

  /** Starts the check for a group with unresolved members (joins a run already going); resolves when none are left or the check failed (logged). */
  settled(groupId: string, current?: GroupRecord): Promise<void> {
    const going = this.#running.get(groupId);
    if (going) return going;
    if (current === undefined && this.#clear.has(groupId)) return Promise.resolve();
    // A record holds the whole member list, parsed on every read: the caller's, when it has one.
    const rec = current ?? this.#d.store.getGroup(groupId);
    if (!rec?.state.unresolved?.length) {
      if (rec) this.#clear.add(groupId);
      return Promise.resolve();
    }
    this.#clear.delete(groupId);
    if (this.#stopped) return Promise.resolve();
    const run = this.#run(rec)
      .catch((err: unknown) => this.#d.logger.warn({ groupId, ...errInfo(err) }, 'checking the snapshot members\' identity bindings failed'))
      .finally(() => this.#running.delete(groupId));
    this.#running.set(groupId, run);
    return run;
  }

  /** Resumes every group a crash or a close left with unresolved members. */
  resumeAll(): void {
    for (const r of this.#d.store.listGroups()) if (r.status !== 'removed' && r.state.unresolved?.length) void this.settled(r.groupId, r);
  }

  /**
   * The identity key of `accountId` if it is a member whose binding the background has not reached
   * yet and the binding checks out now (one member: one pseudonym encrypt, one proof decrypt, one
   * signature). Undefined otherwise: unknown, already resolved, or a binding that fails.
   */
  keyNow(groupId: string, state: GroupState, accountId: string): string | undefined {
    if (!state.unresolved?.length) return undefined;
    const keys = this.#d.keysOf(groupId);
    const m = keys.pseudonym(accountId);
    const x = unresolvedEntry(state, m);
    if (x === undefined || x.accountId !== accountId) return undefined;
    return checkBinding(keys, m, x, this.#d.store.getGroupBlobs(groupId, m).get(m)?.proof).identityKey;
  }

  /** Ends runs at their next chunk: the client is closing (what is unresolved stays so, and resumes at the next connection). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#running.values()]);
  }

  async #run(rec: GroupRecord): Promise<void> {
    const groupId = rec.groupId;
    if (!rec.state.unresolved?.length) return;
    const keys = this.#d.keysOf(groupId, rec);
    const todo = rec.state.unresolved;
    // The proofs live in their own rows (stores/member-blobs.ts): read once for the whole run.
    const blobs = this.#d.store.getGroupBlobs(groupId);
    const checks: BindingCheck[] = [];
    for (let i = 0; i < todo.length; i += BINDING_CHUNK) {
      await yieldToLoop();
      if (this.#stopped) return;
      for (const m of todo.slice(i, i + BINDING_CHUNK)) {
        const x = unresolvedEntry(rec.state, m);
        if (x) checks.push(checkBinding(keys, m, x, blobs.get(m)?.proof));
      }
    }
    await this.#d.serialize(async () => {
      // The state may have moved on while we checked (a sync): apply to the stored one, entry by entry.
      const now = this.#d.store.getGroup(groupId);
      if (!now || now.status === 'removed' || !now.state.unresolved?.length) return;
      // Just read, held by nothing else: checked in place (applyBindings puts new entries).
      const state = now.state;
      const events: GroupChangeEvent[] = applyBindings(state, checks, this.#d.store.getGroupBlobs(groupId));
      this.#d.store.commit({ groups: [{ ...now, state }] });
      for (const e of events) this.#d.events.emit('group', e);
    });
  }
}
