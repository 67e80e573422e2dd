/**
 * The group's own hotline and legal contact, kept inside its encrypted description as labelled lines
 * (docs/app.md "The hotline convention"), so they travel with the group, need no protocol change and
 * are only ever seen by members:
 *
 *   Hotline: (213) 555-0100
 *   Legal: CHIRLA, 888-624-4752
 *
 * A label is matched at the start of a line, followed at once by a colon, case-insensitively, in English or Spanish ("Línea:",
 * "Abogado:"/"Abogados:"); the first line of each kind wins; everything else is the group's "about" text.
 * Pure: no I/O, no SDK, so the CLI can print the same thing one day.
 */

/** Longest hotline or legal contact kept (longer values are cut): it must fit on a rights card. */
export const CONTACT_MAX_CHARS = 200;

export interface GroupContacts {
  hotline: string | undefined;
  legal: string | undefined;
}

export interface ParsedDescription extends GroupContacts {
  /** The description without the contact lines, trimmed. */
  about: string;
}

const LABELS: Record<keyof GroupContacts, readonly string[]> = {
  hotline: ['hotline', 'línea', 'linea'],
  legal: ['legal', 'abogado', 'abogados', 'lawyer'],
};

/** The label written back by `composeDescription` (English: the parser reads both languages). */
const WRITTEN: Record<keyof GroupContacts, string> = { hotline: 'Hotline', legal: 'Legal' };

function labelled(line: string): { kind: keyof GroupContacts; value: string } | undefined {
  const m = /^\s*(\p{L}+):\s*(.*)$/u.exec(line);
  if (!m) return undefined;
  const label = m[1]!.toLowerCase();
  for (const kind of Object.keys(LABELS) as (keyof GroupContacts)[]) if (LABELS[kind].includes(label)) return { kind, value: m[2]!.trim() };
  return undefined;
}

function clip(value: string): string | undefined {
  const chars = [...value.trim()];
  return chars.length === 0 ? undefined : chars.slice(0, CONTACT_MAX_CHARS).join('');
}

/** The hotline, the legal contact and the rest of a group description. */
export function parseDescription(description: string): ParsedDescription {
  const out: GroupContacts = { hotline: undefined, legal: undefined };
  const rest: string[] = [];
  for (const line of description.split(/\r?\n/)) {
    const found = labelled(line);
    if (!found) rest.push(line);
    else if (out[found.kind] === undefined) out[found.kind] = clip(found.value);
  }
  return { ...out, about: rest.join('\n').trim() };
}

/**
 * A description with `about` as its text and the contacts as labelled lines after it; an empty or
 * missing contact leaves no line. `parseDescription(composeDescription(a, c))` gives back `a` and `c`.
 */
export function composeDescription(about: string, contacts: Partial<GroupContacts>): string {
  // A line of the about text that looks like a label would be read back as a contact: keep it as text.
  const text = about
    .trim()
    .split(/\r?\n/)
    .map((line) => (labelled(line) ? line.replace(':', ' :') : line))
    .join('\n');
  const lines = (Object.keys(WRITTEN) as (keyof GroupContacts)[]).flatMap((kind) => {
    const value = clip((contacts[kind] ?? '').replace(/\s+/g, ' '));
    return value === undefined ? [] : [`${WRITTEN[kind]}: ${value}`];
  });
  return [text, ...lines].filter((part) => part !== '').join('\n');
}
