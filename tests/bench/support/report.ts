import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { REPO_ROOT } from '../../support/relay.js';

/**
 * docs/benchmarks.md, written by the bench run itself so the figures in the repository are always
 * the output of one real run, never retyped. API:
 *
 *   addSection({ title, command, body }) — a benchmark adds its results (call it once per benchmark,
 *     at the end of its run). `body` is markdown: tables, targets and whether they were met, notes.
 *     `command` is the exact command that reruns this benchmark alone (e.g. `pnpm bench -- --only drain`).
 *   noteRelayDir(dir) — the folder the relay's data lived in; its filesystem goes in the header.
 *   writeReport(path, argv) — run.ts calls it once at the end: header (date, machine, commit, the
 *     command of the whole run) then every section in the order they were added.
 *
 * A run of only some benchmarks (`--only`) writes only their sections: the file says which ran.
 */

export interface ReportSection {
  title: string;
  /** Reruns this benchmark alone, with the options this run used. */
  command: string;
  /** Markdown. */
  body: string;
}

const sections: ReportSection[] = [];
const relayDirs = new Set<string>();

export function addSection(section: ReportSection): void {
  sections.push(section);
}

export function noteRelayDir(dir: string): void {
  relayDirs.add(dir);
}

export function reportSections(): readonly ReportSection[] {
  return sections;
}

/** A markdown table. */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function met(ok: boolean): string {
  return ok ? 'met' : '**not met**';
}

/** `pnpm bench -- <args>` as a string, with arguments quoted where a shell needs it. */
export function benchCommand(args: readonly string[]): string {
  const quoted = args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`));
  return `pnpm bench${quoted.length ? ` -- ${quoted.join(' ')}` : ''}`;
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** Filesystem type and, for a block device, whether it spins (lsblk ROTA) — what fsync costs there. */
export function describeDisk(dir: string): string {
  const line = sh('df', ['--output=source,fstype', dir]).split('\n')[1]?.trim() ?? '';
  const [source = '?', fstype = '?'] = line.split(/\s+/);
  if (fstype === 'tmpfs') return `${dir}: tmpfs (memory; commits cost no fsync)`;
  const rota = source.startsWith('/dev/') ? sh('lsblk', ['-dno', 'ROTA,MODEL', source.replace(/\d+$/, '')]) : '';
  const kind = rota.startsWith('1') ? 'lsblk: rotational' : rota.startsWith('0') ? 'lsblk: non-rotational' : 'disk type unknown';
  return `${dir}: ${fstype} on ${source} (${kind}${rota.slice(1).trim() ? `, ${rota.slice(1).trim()}` : ''})`;
}

/** The run's arguments minus where the report went (the rerun command writes docs/benchmarks.md). */
function withoutReportFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--report') i++;
    else if (!a.startsWith('--report=') && a !== '--no-report') out.push(a);
  }
  return out;
}

export function machine(): { cpu: string; cores: number; ramGiB: string; node: string; kernel: string } {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    ramGiB: (totalmem() / 1024 ** 3).toFixed(1),
    node: process.version,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
  };
}

export function writeReport(path: string, argv: readonly string[]): void {
  const m = machine();
  const commit = sh('git', ['rev-parse', 'HEAD']);
  const dirty = sh('git', ['status', '--porcelain', '--untracked-files=no', '--', 'packages', 'tests']) !== '';
  const header = [
    '# Benchmarks',
    '',
    '<!-- Written by `pnpm bench` (tests/bench/support/report.ts); rerun the bench instead of editing by hand. -->',
    '',
    'Benchmarks print figures; they are not tests and assert nothing about time. The machine running',
    'them may be shared, so every figure is measured in the same run as its baseline and read as a ratio.',
    '',
    `- Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, Linux ${m.kernel}, Node ${m.node}`,
    `- Relay data: ${[...relayDirs].map(describeDisk).join('; ') || 'n/a'}`,
    `- Commit: ${commit || 'unknown'}${dirty ? ' (with uncommitted changes in packages/ or tests/)' : ''}`,
    `- Command: \`${benchCommand(withoutReportFlags(argv))}\``,
    `- Sections: ${sections.map((s) => s.title).join(', ') || 'none'}`,
    '',
  ];
  const body = sections.flatMap((s) => [`## ${s.title}`, '', `Rerun alone: \`${s.command}\``, '', s.body.trim(), '']);
  writeFileSync(path, `${[...header, ...body].join('\n').trimEnd()}\n`);
}
