import type { AvisoStore } from '../stores/interfaces.js';

/**
 * The head hash of every verified version of a group (the last HEADS_KEPT of them), kept beside the
 * verified state in the store's meta (`groupHeads:<groupId>`), so that a member's message naming any
 * version can be checked against our chain, not only one naming our current version
 * (docs/alerts.md "Receiving"). Written in the same commit as the state it belongs to.
 */
export const HEADS_KEPT = 1024;

const key = (groupId: string) => `groupHeads:${groupId}`;

export type Heads = Array<[version: number, headHash: string]>;

/** Our verified head hash at `version`, if we verified that version and still keep it. */
export function headAt(store: Pick<AvisoStore, 'getMeta'>, groupId: string, version: number): string | undefined {
  return read(store, groupId)[String(version)];
}

/** The meta entry that records `heads` for the group (merged with what is stored, oldest dropped). */
export function headsMeta(store: Pick<AvisoStore, 'getMeta'>, groupId: string, heads: Heads): Record<string, string> {
  const all = read(store, groupId);
  for (const [version, hash] of heads) if (version >= 0) all[String(version)] = hash;
  const versions = Object.keys(all)
    .map(Number)
    .sort((a, b) => a - b);
  for (const v of versions.slice(0, Math.max(0, versions.length - HEADS_KEPT))) delete all[String(v)];
  return { [key(groupId)]: JSON.stringify(all) };
}

function read(store: Pick<AvisoStore, 'getMeta'>, groupId: string): Record<string, string> {
  const raw = store.getMeta(key(groupId));
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!parsed || typeof parsed !== 'object') return {};
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}
