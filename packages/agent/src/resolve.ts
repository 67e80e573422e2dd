import { displayNameSkeleton } from '@aviso/client';
import { AgentError } from './errors.js';

/** How to name one kind of thing (groups, members, alerts) and what to say when a name fails. */
export interface Namer<T> {
  /** "group", "member", "alert". */
  kind: string;
  id(item: T): string;
  /** Title or display name; alerts have none (they are named by id only). */
  name?(item: T): string | undefined;
  /** The command that lists the candidates, for the error's hint. */
  listCommand: string;
  /** Where we looked, for the message ("in "Eastside""); optional. */
  scope?: string;
  /** The group `scope` names, for a front end that words the message itself (see AgentError.text). */
  scopeGroup?: string;
  /**
   * Makes a name from others safe to put in an error message for this front end (the terminal
   * strips controls and bidi marks); names are used as they are without it.
   */
  display?(name: string): string;
}

/** An id prefix shorter than this is too easy to mistype into the wrong match. */
export const MIN_PREFIX = 4;

/**
 * Finds exactly one item by id, by name, or by unique id prefix, in that order of precedence. Names
 * match when they look alike (same `displayNameSkeleton`: case, accents, invisible characters and
 * homoglyphs such as Cyrillic "о" ignored), so a look-alike of "Rosa" makes "Rosa" ambiguous instead
 * of silently picking one. No match and several matches are errors that say what to do; several
 * matches list them.
 */
export function resolveOne<T>(items: readonly T[], query: string, namer: Namer<T>): T {
  // NFC: a name typed with a decomposed accent ("e" + U+0301) is the same name as one stored composed.
  const q = query.normalize('NFC').trim();
  const lower = q.toLowerCase();
  const where = namer.scope ? ` ${namer.scope}` : '';
  const words = { kind: namer.kind, query: q, listCommand: namer.listCommand, ...(namer.scopeGroup === undefined ? {} : { group: namer.scopeGroup }) };
  if (q.length === 0) throw new AgentError('NOT_FOUND', `give a ${namer.kind} name or id — run \`${namer.listCommand}\` to list them`, 2, undefined, { key: 'cli.error.giveName', params: words });
  const byId = items.filter((i) => namer.id(i).toLowerCase() === lower);
  if (byId.length === 1) return byId[0]!;
  const byName = namer.name ? items.filter((i) => sameName(namer.name!(i), q)) : [];
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) throw ambiguous(q, byName, namer, where, words);
  const byPrefix = lower.length >= MIN_PREFIX ? items.filter((i) => namer.id(i).toLowerCase().startsWith(lower)) : [];
  if (byPrefix.length === 1) return byPrefix[0]!;
  if (byPrefix.length > 1) throw ambiguous(q, byPrefix, namer, where, words);
  const named = namer.name ? `named "${q}" or ` : '';
  throw new AgentError('NOT_FOUND', `no ${namer.kind} ${named}with id "${q}"${where} — run \`${namer.listCommand}\` to list them`, undefined, undefined, {
    key: namer.scopeGroup === undefined ? 'cli.error.notFound' : 'cli.error.notFoundIn',
    params: words,
  });
}

function sameName(name: string | undefined, query: string): boolean {
  if (name === undefined) return false;
  if (name.normalize('NFC').trim().toLowerCase() === query.toLowerCase()) return true;
  const skeleton = displayNameSkeleton(query);
  return skeleton !== '' && displayNameSkeleton(name) === skeleton;
}

function ambiguous<T>(query: string, matches: readonly T[], namer: Namer<T>, where: string, words: Record<string, string>): AgentError {
  const list = matches.map((m) => label(m, namer)).join(', ');
  return new AgentError('AMBIGUOUS', `"${query}" matches ${matches.length} ${namer.kind}s${where}: ${list} — name one by its id`, undefined, undefined, {
    key: namer.scopeGroup === undefined ? 'cli.error.ambiguous' : 'cli.error.ambiguousIn',
    params: { ...words, count: matches.length, list },
  });
}

/** `Eastside (3f2a9c10)`, or just the short id for things without a name. */
export function label<T>(item: T, namer: Pick<Namer<T>, 'id' | 'name' | 'display'>): string {
  const id = namer.id(item).slice(0, 8);
  const name = namer.name?.(item);
  return name ? `"${namer.display ? namer.display(name) : name}" (${id})` : id;
}
