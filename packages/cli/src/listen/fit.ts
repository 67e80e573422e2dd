import stringWidth from 'string-width';

/**
 * Fitting board lines to the terminal, measured in terminal columns (string-width: wide CJK and emoji
 * take two, combining marks and the bidi isolates none), never in UTF-16 units or code points.
 */

const FSI = '\u2068';
const PDI = '\u2069';
const ELLIPSIS = '…';
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export const columnsOf = (text: string): number => stringWidth(text);

/**
 * `text` cut to at most `width` columns, ending in … when cut, and never inside a grapheme (an emoji
 * with its modifiers, a letter with its accents). A first-strong isolate stays closed: the cut goes
 * inside FSI … PDI, so a right-to-left name cannot spill its direction onto what follows it.
 */
export function cutTo(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  if (width <= 0) return '';
  if (text.startsWith(FSI) && text.endsWith(PDI)) return `${FSI}${cutTo(text.slice(1, -1), width)}${PDI}`;
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return `${out}${ELLIPSIS}`;
}

/** A piece of a line; pieces with `shrink` give up columns in that order (1 first) when the line is too wide. */
export interface Piece {
  text: string;
  shrink?: number;
  /** Columns a shrinking piece keeps in the first round (before every piece goes down to one). */
  keep?: number;
}

/**
 * Joins the pieces into a line of at most `width` columns: shrinkable pieces are cut, in their order,
 * first to their `keep`, then to a single …; the fixed pieces (an alert's id) stay whole whenever
 * they fit on their own, and only then is the line cut at its end.
 */
export function fitLine(pieces: Piece[], width: number): string {
  const texts = pieces.map((p) => p.text);
  const total = () => texts.reduce((n, t) => n + stringWidth(t), 0);
  const order = pieces.map((p, i) => ({ p, i })).filter(({ p }) => p.shrink !== undefined).sort((a, b) => a.p.shrink! - b.p.shrink!);
  for (const floor of ['keep', 'one'] as const) {
    for (const { p, i } of order) {
      const excess = total() - width;
      if (excess <= 0) return texts.join('');
      const current = stringWidth(texts[i]!);
      const target = Math.max(floor === 'keep' ? (p.keep ?? 1) : 1, current - excess);
      if (target < current) texts[i] = cutTo(texts[i]!, target);
    }
  }
  return cutTo(texts.join(''), width);
}
