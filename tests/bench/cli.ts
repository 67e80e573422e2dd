import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUILT_AVISO, BUILT_RELAY, ensureBuilt, runBuilt } from '../support/built-cli.js';
import { REPO_ROOT, RelayProcess } from '../support/relay.js';
import { intFlag } from './support/flags.js';
import { addSection, benchCommand, mdTable, met } from './support/report.js';
import { ms, percentile } from './support/stats.js';

/**
 * Command-line latency (issue 14): how long `aviso` and `aviso-relay` take from start to exit, as a
 * person or a script sees it (wall time of the whole process), against a bare `node -e ''` started
 * the same way in the same rounds. Each round runs every case once, in turn, so a machine that slows
 * down slows all of them alike; one round first is not counted. The alert case is the one that
 * matters during a raid: `aviso alert` for a profile whose `aviso listen` is running, handed to it
 * and sent on its connected client. The TypeScript source under tsx (how `npm run aviso` ran
 * before) is timed in fewer rounds, for comparison.
 * Targets: `aviso --help` at most 3× bare node (p50/p50); the handed-over `aviso alert` at most
 * 400 ms wall p50.
 */

export interface CliBenchOptions {
  runs: number;
}

const DEFAULT_RUNS = 20;

export function parseCliArgs(argv: string[]): CliBenchOptions {
  const { values } = parseArgs({ args: argv, strict: false, options: { 'cli-runs': { type: 'string' } } });
  return { runs: intFlag(values, 'cli-runs', DEFAULT_RUNS, 3, 500) };
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

interface Case {
  name: string;
  argv: string[];
  env?: Record<string, string>;
  /** Run in every n-th round only (slow references). */
  every?: number;
  wallMs: number[];
}

/** Wall time of one whole process, ms; fails the run if the command does. */
function timed(c: Case): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, c.argv, { cwd: REPO_ROOT, env: { ...process.env, ...c.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${c.name} exited ${code}: ${stderr}`))));
  });
}

export async function benchCli(o: CliBenchOptions): Promise<void> {
  log(`\n## Command-line latency: ${o.runs} rounds, each command once per round, against bare node`);
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'aviso-bench-cli-'));
  const home = join(dir, 'home');
  const env = { AVISO_HOME: home };
  const relay = await RelayProcess.start();
  let listen: ReturnType<typeof spawn> | undefined;
  try {
    log('Registering a profile, creating a group and starting `aviso listen` on it …');
    const token = await relay.createToken();
    for (const args of [['register', relay.url, token, '--name', 'Rosa'], ['group', 'create', 'Eastside']]) {
      const r = await runBuilt(BUILT_AVISO, args, { env });
      if (r.code !== 0) throw new Error(`aviso ${args[0]} failed: ${r.stderr}`);
    }
    const child = spawn(process.execPath, [BUILT_AVISO, 'listen', '--json'], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
    listen = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('"type":"ready"')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`listen exited (${code}) before ready`)));
    });

    const source = ['--conditions=@aviso/source', '--import', 'tsx'];
    const cases: Case[] = [
      { name: "node -e ''", argv: ['-e', ''], wallMs: [] },
      { name: 'aviso --help', argv: [BUILT_AVISO, '--help'], env, wallMs: [] },
      { name: 'aviso --version', argv: [BUILT_AVISO, '--version'], env, wallMs: [] },
      { name: 'aviso alert (handed to listen)', argv: [BUILT_AVISO, 'alert', 'Eastside', '--kind', 'sighting', '--severity', 'info', '--title', 'bench', '--place', 'here', '--expires', '30m'], env, wallMs: [] },
      { name: 'aviso-relay --help', argv: [BUILT_RELAY, '--help'], wallMs: [] },
      { name: 'aviso-relay --version', argv: [BUILT_RELAY, '--version'], wallMs: [] },
      { name: 'aviso-relay token create', argv: [BUILT_RELAY, 'token', 'create', '--data-dir', join(dir, 'relay-data')], every: 4, wallMs: [] },
      { name: 'aviso --help, from source (tsx)', argv: [...source, join(REPO_ROOT, 'packages', 'cli', 'src', 'main.ts'), '--help'], every: 4, wallMs: [] },
    ];
    for (let round = 0; round <= o.runs; round++) {
      for (const c of cases) {
        if (round > 0 && c.every && round % c.every !== 0) continue;
        const wall = await timed(c);
        if (round > 0) c.wallMs.push(wall); // round 0 warms the file cache
      }
    }
    const base = percentile(cases[0]!.wallMs, 50);
    const rows = cases.map((c) => {
      const p50 = percentile(c.wallMs, 50);
      return [c.name, String(c.wallMs.length), ms(p50), ms(percentile(c.wallMs, 90)), c === cases[0] ? '1.0×' : `${(p50 / base).toFixed(1)}×`];
    });
    for (const r of rows) log(`  ${r[0]!.padEnd(34)} p50 ${r[2]!.padStart(9)}  p90 ${r[3]!.padStart(9)}  ${r[4]}`);
    const help = percentile(cases[1]!.wallMs, 50) / base;
    const alert = percentile(cases[3]!.wallMs, 50);
    addSection({
      title: 'Command-line latency',
      command: benchCommand(['--only', 'cli', ...(o.runs === DEFAULT_RUNS ? [] : ['--cli-runs', String(o.runs)])]),
      body: [
        `Wall time of each whole process, from spawn to exit, as \`node <built file> …\` (what \`npm run aviso\`, \`npm run relay\` and scripts/install-path.sh start; npm itself adds its own start on top). ${o.runs} rounds, every command once per round in turn, after one uncounted round; the slow references every 4th round. Baseline in the same rounds: \`node -e ''\`. The alert is handed to a running \`aviso listen --json\` on the same profile, which sends it on its connected client to a real relay.`,
        '',
        mdTable(['command', 'runs', 'p50', 'p90', 'p50 / bare node'], rows),
        '',
        `- \`aviso --help\` at most 3× bare node start: ${help.toFixed(1)}× — ${met(help <= 3)}`,
        `- \`aviso alert\` handed to a running \`listen\` at most 400 ms wall p50: ${ms(alert)} — ${met(alert <= 400)}`,
      ].join('\n'),
    });
  } finally {
    listen?.kill('SIGINT');
    if (listen && listen.exitCode === null) await new Promise((r) => listen!.once('exit', r));
    await relay.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
