import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { CATALOG } from '@aviso/i18n';
import { ENV_VARS } from '../../src/cli/help.js';

// Every sentence `aviso-relay` prints for a person comes from @aviso/i18n (relay-cli.ts): an English
// literal printed directly, or given to an error the CLI prints, would show in English on a Spanish
// terminal. As packages/cli/test/catalog-only.test.ts does for `aviso`, this reads the sources with
// the TypeScript parser and looks at what each output call and error prints directly: string and
// template literals, also through `?:`, `+`, arrays and parentheses. Calls (say(), t()) are not
// looked into. Symbols, flags and code in backticks are not words; a literal word is.

const SRC = join(import.meta.dirname, '..', '..', 'src', 'cli');

/** Calls that print, and which of their arguments people read. */
const PRINTS: Record<string, number[]> = {
  out: [0], // io.out
  err: [0], // io.err
  log: [0], // console.log
  error: [0], // console.error
  write: [0], // process.stdout.write
  help: [1], // help(io, text)
  acquireDataLock: [1], // its busy error
  onePositional: [1], // its usage error
};
/** Errors whose message describeFailure prints. */
const ERRORS: Record<string, number[]> = { CliError: [0], UsageError: [0] };

/** Printed on purpose in one language, and why. Each entry is a line a program reads, not a person. */
const ALLOWED = new Set([
  'aviso-relay: ${…}', // the program's name before every error and warning, as Unix tools write it
  'aviso-relay ${…} (protocol ${…})', // --version, read by scripts and bug reports like `node --version`
]);

/** Letters that make a word: three or more in a row, once flags, `code` and ${…} are taken out. */
function hasWords(text: string): boolean {
  const stripped = text
    .replace(/`[^`]*`/g, '')
    .replace(/--?[a-z][\w-]*/gi, '')
    .replace(/\$\{…\}/g, '');
  return /\p{L}{3,}/u.test(stripped);
}

/** The literal text an expression prints directly (templates with their holes as ${…}). */
function literals(node: ts.Node): string[] {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
  if (ts.isTemplateExpression(node)) {
    const text = node.head.text + node.templateSpans.map((s) => '${…}' + s.literal.text).join('');
    return [text, ...node.templateSpans.flatMap((s) => literals(s.expression))];
  }
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node)) return literals(node.expression);
  if (ts.isConditionalExpression(node)) return [...literals(node.whenTrue), ...literals(node.whenFalse)];
  if (ts.isBinaryExpression(node)) return [...literals(node.left), ...literals(node.right)];
  if (ts.isArrayLiteralExpression(node)) return node.elements.flatMap(literals);
  if (ts.isSpreadElement(node)) return literals(node.expression);
  return [];
}

function calleeName(expr: ts.Expression): string | undefined {
  if (ts.isIdentifier(expr)) return expr.text;
  if (ts.isPropertyAccessExpression(expr)) return expr.name.text;
  return undefined;
}

/** `file:line: text` for every English literal printed in `source`. */
export function printedLiterals(file: string, source: string): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const check = (args: readonly ts.Expression[], positions: number[]) => {
    for (const i of positions) {
      const arg = args[i];
      if (!arg) continue;
      for (const text of literals(arg)) {
        if (hasWords(text) && !ALLOWED.has(text)) found.push(`${file}:${sf.getLineAndCharacterOfPosition(arg.getStart()).line + 1}: ${text}`);
      }
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const name = calleeName(node.expression);
      if (name && Object.hasOwn(PRINTS, name)) check(node.arguments, PRINTS[name]!);
    }
    // Help texts are built once and printed by name: `const SERVE_HELP = `Usage: …``.
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && /^[A-Z_]*HELP$/.test(node.name.text) && node.initializer) check([node.initializer], [0]);
    if (ts.isNewExpression(node)) {
      const name = calleeName(node.expression);
      if (name && Object.hasOwn(ERRORS, name)) check(node.arguments ?? [], ERRORS[name]!);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe('aviso-relay prints only catalog strings', () => {
  const files = readdirSync(SRC).filter((name) => name.endsWith('.ts'));

  test('no source file of the operator CLI prints an English literal or throws one to be printed', () => {
    expect(files.length).toBeGreaterThan(10);
    const found = files.flatMap((f) => printedLiterals(f, readFileSync(join(SRC, f), 'utf8')));
    expect(found).toEqual([]);
  });

  test('the check finds a literal, however it is built', () => {
    const sample = [
      "io.out('Create a registration token with: npm run relay -- token create');",
      'io.err(`WARNING: ${file} contains the relay\'s PRIVATE KEYS`);',
      "throw new CliError(`${file} is a folder — give a file name for the backup`);",
      "throw new UsageError(ok ? 'backup takes exactly one file name' : 'x', 'backup');",
      "if (values.help) return help(io, `Usage: aviso-relay serve\\n\\nRuns the relay.`);",
      "export const SERVE_HELP = `Usage: aviso-relay serve [--data-dir DIR]`;",
      "onePositional(positionals, 'backup takes exactly one file name');",
      "io.out(`${READY_LINE}${url}`);",
      "io.err(`aviso-relay: ${say(lang, words('relay.token.none'))}`);",
      "throw CliError.of('relay.backup.exists', { file });",
    ].join('\n');
    expect(printedLiterals('sample.ts', sample)).toEqual([
      'sample.ts:1: Create a registration token with: npm run relay -- token create',
      "sample.ts:2: WARNING: ${…} contains the relay's PRIVATE KEYS",
      'sample.ts:3: ${…} is a folder — give a file name for the backup',
      'sample.ts:4: backup takes exactly one file name',
      'sample.ts:5: Usage: aviso-relay serve\n\nRuns the relay.',
      'sample.ts:6: Usage: aviso-relay serve [--data-dir DIR]',
      'sample.ts:7: backup takes exactly one file name',
    ]);
  });

  test("every setting's meaning is in the catalog: English as generated from config.ts, and Spanish", () => {
    for (const [name, , meaning] of ENV_VARS) {
      const key = `relay.setting.${name}` as keyof (typeof CATALOG)['en'];
      expect(CATALOG.en[key], name).toBe(meaning);
      expect(CATALOG.es[key], name).toBeTruthy();
      expect(CATALOG.es[key], name).not.toBe(meaning);
    }
    const inCatalog = Object.keys(CATALOG.en).filter((key) => key.startsWith('relay.setting.'));
    expect(inCatalog.sort()).toEqual(ENV_VARS.map(([name]) => `relay.setting.${name}`).sort());
  });
});
