import { z } from 'zod';
import { SettingsSchema, settingDocs, type SettingDoc } from '../config.js';

// The settings as operators read them, generated from the zod schema and its `settingDocs` so the
// docs, the help and the code cannot disagree. `node --import tsx scripts/settings-table.ts` writes
// them into docs/operating.md and cli/help.ts; packages/server/test/settings-table.test.ts fails
// when either is stale.

export const TABLE_BEGIN = '<!-- settings-table:begin (generated from packages/server/src/config.ts by `npm run docs:settings`; do not edit) -->';
export const TABLE_END = '<!-- settings-table:end -->';
export const HELP_BEGIN = '// settings:begin (generated from config.ts by `npm run docs:settings`; do not edit)';
export const HELP_END = '// settings:end';

export interface SettingRow {
  name: string;
  /** The default as an operator would type it; undefined when the setting has none. */
  fallback: string | undefined;
  allowed: string;
  doc: SettingDoc;
}

interface JsonProperty {
  default?: unknown;
  type?: string;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
}

/** Thousands separators from five digits up, as the rest of the docs write limits. */
function number(n: number): string {
  return n >= 10_000 ? n.toLocaleString('en-US') : String(n);
}

/** Every setting in schema order, with what the schema says about its default and allowed values. */
export function settingRows(): SettingRow[] {
  const json = z.toJSONSchema(SettingsSchema, { io: 'input' }) as { properties: Record<string, JsonProperty> };
  return Object.entries(SettingsSchema.shape).map(([name, schema]) => {
    const doc = settingDocs.get(schema);
    if (doc === undefined) throw new Error(`${name} has no settingDocs entry in config.ts`);
    const p = json.properties[name] ?? {};
    let allowed = doc.allowed;
    if (allowed === undefined && p.enum !== undefined) allowed = p.enum.map((v) => `\`${String(v)}\``).join(' ');
    if (allowed === undefined && p.minimum !== undefined && p.maximum !== undefined) allowed = `${number(p.minimum)}–${number(p.maximum)}`;
    if (allowed === undefined) throw new Error(`${name}: say what is allowed (settingDocs allowed)`);
    return { name, fallback: p.default === undefined ? undefined : String(p.default), allowed, doc };
  });
}

/** The Markdown table of docs/operating.md, markers included. */
export function settingsMarkdown(rows: readonly SettingRow[] = settingRows()): string {
  const lines = rows.map((r) => {
    const fallback = r.fallback === undefined ? (r.doc.unset ?? 'unset') : `\`${r.fallback}\``;
    return `| \`${r.name}\` | ${fallback} | ${r.allowed} | ${r.doc.doc.replaceAll('|', '\\|')} |`;
  });
  return [TABLE_BEGIN, '| Variable | Default | Allowed | Meaning |', '| --- | --- | --- | --- |', ...lines, TABLE_END].join('\n');
}

/** The `ENV_VARS` literal of cli/help.ts, markers included (help stays free of zod: it loads fast). */
export function settingsHelpSource(rows: readonly SettingRow[] = settingRows()): string {
  const quote = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  const entries = rows.map((r) => `  [${quote(r.name)}, ${quote(r.fallback ?? 'unset')}, ${quote(r.doc.help)}],`);
  return [HELP_BEGIN, ...entries, `  ${HELP_END}`].join('\n');
}

/** `text` with what lies between `begin` and `end` (markers included) replaced by `block`. */
export function replaceBlock(text: string, begin: string, end: string, block: string): string {
  const from = text.indexOf(begin.slice(0, begin.indexOf('(')).trimEnd());
  const to = text.indexOf(end, from);
  if (from < 0 || to < 0) throw new Error(`markers ${begin.slice(0, 30)}… not found`);
  return text.slice(0, from) + block + text.slice(to + end.length);
}
