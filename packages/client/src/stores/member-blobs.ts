/**
 * The profile and identity proof each member's (and pending member's) entering change brought,
 * verbatim: a checkpoint snapshot holds them (docs/groups.md "Checkpoints"), nothing else reads
 * them. They are most of a big group's state by size, so they live in rows of their own beside
 * GroupState, written in the same commit as the state a change produces, and read only when a
 * checkpoint is written or checked and when a newcomer checks a snapshot's identity bindings.
 */

export interface MemberBlobs {
  /** The encrypted profile (absent for a member whose entering change carried none). */
  profile?: string | undefined;
  /** The encrypted identity proof. */
  proof?: string | undefined;
}

/** One group's blobs, by pseudonym (base64 member ciphertext). */
export type GroupBlobs = Map<string, MemberBlobs>;

/** What a commit does to one group's blob rows. */
export interface GroupBlobChanges {
  groupId: string;
  /** Delete every row of the group first (a state verified from scratch, or forgotten). */
  reset?: boolean | undefined;
  /** Then, by pseudonym: the row's new blobs, or null to delete it. */
  put: ReadonlyMap<string, MemberBlobs | null>;
}

/**
 * A group's blobs as a run of changes leaves them: the stored rows (loaded on first need only:
 * a sync that meets no checkpoint never reads them) under the changes made since. Each change is
 * undoable, as the verifier's state is.
 */
export class MemberBlobOverlay {
  readonly #load: () => GroupBlobs;
  #base: GroupBlobs | undefined;
  readonly #changes = new Map<string, MemberBlobs | null>();
  /** Whether the stored rows are replaced (the base is not what is stored). */
  readonly reset: boolean;

  /** `load`: the stored rows; none when `reset` (a state built from nothing or from a snapshot). */
  constructor(load: () => GroupBlobs, opts: { reset?: boolean } = {}) {
    this.reset = opts.reset === true;
    this.#load = this.reset ? () => new Map() : load;
  }

  /** A fresh overlay over no rows that replaces whatever is stored. */
  static empty(): MemberBlobOverlay {
    return new MemberBlobOverlay(() => new Map(), { reset: true });
  }

  get(member: string): MemberBlobs | undefined {
    if (this.#changes.has(member)) return this.#changes.get(member) ?? undefined;
    return this.#stored().get(member);
  }

  /** Sets (or with null deletes) a member's blobs; returns the undo. */
  set(member: string, value: MemberBlobs | null): () => void {
    const had = this.#changes.has(member);
    const before = this.#changes.get(member);
    this.#changes.set(member, value);
    return () => {
      if (had) this.#changes.set(member, before!);
      else this.#changes.delete(member);
    };
  }

  /** Every member's blobs now. */
  all(): GroupBlobs {
    const out = new Map(this.#stored());
    for (const [m, v] of this.#changes) {
      if (v === null) out.delete(m);
      else out.set(m, v);
    }
    return out;
  }

  /** What the store must write for `groupId` to hold `all()`. */
  changesFor(groupId: string): GroupBlobChanges {
    return { groupId, reset: this.reset, put: new Map(this.#changes) };
  }

  #stored(): GroupBlobs {
    return (this.#base ??= this.#load());
  }
}
