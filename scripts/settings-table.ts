// Writes the relay's settings, generated from its zod schema (packages/server/src/config.ts), into
// the table of docs/operating.md and the environment list of `aviso-relay --help`.
// Run: npm run docs:settings. packages/server/test/settings-table.test.ts fails when they are stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  HELP_BEGIN,
  HELP_END,
  replaceBlock,
  settingsHelpSource,
  settingsMarkdown,
  TABLE_BEGIN,
  TABLE_END,
} from '../packages/server/src/config/settings-table.js';

const root = resolve(import.meta.dirname, '..');
const targets = [
  { file: 'docs/operating.md', begin: TABLE_BEGIN, end: TABLE_END, block: settingsMarkdown() },
  { file: 'packages/server/src/cli/help.ts', begin: HELP_BEGIN, end: HELP_END, block: settingsHelpSource() },
];
for (const { file, begin, end, block } of targets) {
  const path = resolve(root, file);
  const before = readFileSync(path, 'utf8');
  const after = replaceBlock(before, begin, end, block);
  if (after !== before) writeFileSync(path, after);
  console.log(`${after === before ? 'unchanged' : 'updated'}: ${file}`);
}
