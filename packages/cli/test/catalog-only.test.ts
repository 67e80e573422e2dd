import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

// Every sentence the CLI prints comes from @aviso/i18n through say(): an English literal passed
// straight to an output function would show in English on a Spanish terminal. This reads the
// sources with the TypeScript parser and looks at what each output call prints directly: string
// and template literals, also through `?:`, `+`, arrays and parentheses. Calls (say(), terminalText(),
// ctx.suggest()) are not looked into: what they return is theirs. Symbols, ids, flags and code in
// backticks are not words; a literal word is.

const SRC = join(import.meta.dirname, '..', 'src');

/** Calls that print, and which of their arguments people read. */
const PRINTS: Record<string, number[]> = {
  out: [0], // io.out, ctx.io.out
  err: [0],
  write: [0],
  note: [0], // ctx.out.note
  emit: [1], // ctx.out.emit(json, human): the JSON is language-neutral
  drawn: [0],
  prompt: [0],
  promptSecret: [0],
};
/** Error constructors whose message people read: `new CliError(code, message)`. */
const ERRORS: Record<string, number[]> = { CliError: [1], AgentError: [1] };

/**
 * Printed on purpose in one language, and why. Keep this short: each entry is a line a program
 * reads, not a person.
 */
const ALLOWED = new Set([
  'aviso: ${…}', // the program's name before every error, as Unix tools write it
  'aviso app ready at ${…}', // scripts and tests read the app's address from this fixed line (docs/cli.md)
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
  return []; // a call, a name, a property: not a literal printed here
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
      if (name && Object.hasOwn(PRINTS, name) && ts.isPropertyAccessExpression(node.expression)) check(node.arguments, PRINTS[name]!);
    }
    if (ts.isNewExpression(node)) {
      const name = calleeName(node.expression);
      if (name && Object.hasOwn(ERRORS, name)) check(node.arguments ?? [], ERRORS[name]!);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('the CLI prints only catalog strings', () => {
  const files = sources(SRC);

  test('no source file passes an English literal to an output function or an error', () => {
    expect(files.length).toBeGreaterThan(20);
    const found = files.flatMap((f) => printedLiterals(relative(SRC, f), readFileSync(f, 'utf8')));
    expect(found).toEqual([]);
  });

  test('the check finds a literal, however it is built', () => {
    const sample = [
      "ctx.out.note('no current alerts');",
      'ctx.io.err(`aviso: the relay at ${url} is down`);',
      "ctx.out.emit({ type: 'x' }, ok ? 'sent' : [`removed ${name}`]);",
      "throw new CliError('NOT_CONFIRMED', `\"${typed}\" is not \"${name}\"`);",
      "ctx.out.emit({ type: 'said', text: 'words in the JSON are fine' }, say('cli.said', { group }));",
      "ctx.io.out(`${shortId(id)}  ${say('cli.members.noName')}  --json`);",
      "ctx.io.out(terminalText('inside a call is not printed here'));",
    ].join('\n');
    expect(printedLiterals('sample.ts', sample)).toEqual([
      'sample.ts:1: no current alerts',
      'sample.ts:2: aviso: the relay at ${…} is down',
      'sample.ts:3: sent',
      'sample.ts:3: removed ${…}',
      'sample.ts:4: "${…}" is not "${…}"',
    ]);
  });
});
