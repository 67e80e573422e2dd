import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../support/relay.js';
import { benchAlerts, parseAlertsArgs } from './alerts.js';
import { benchApp, parseAppArgs } from './app.js';
import { benchCli, parseCliArgs } from './cli.js';
import { benchDrain, parseDrainArgs } from './drain.js';
import { benchGroups, parseGroupsArgs } from './groups.js';
import { benchMemory, parseMemoryArgs } from './memory.js';
import { writeReport } from './support/report.js';
import { benchThroughput, parseThroughputArgs } from './throughput.js';
import { benchUnlock, parseUnlockArgs } from './unlock.js';

/**
 * Every benchmark, one after another: `pnpm bench [-- --only throughput,drain] [-- --members N …]`.
 * Each benchmark reads its own flags (its parse function; unknown flags are left to the others).
 * At the end the run writes docs/benchmarks.md from the sections the benchmarks added
 * (support/report.ts); `--no-report` leaves the file alone. Not part of `vitest run`: benchmarks
 * time things and take minutes; tests do neither.
 */
const BENCHMARKS: Record<string, (argv: string[]) => Promise<void>> = {
  groups: (argv) => benchGroups(parseGroupsArgs(argv)),
  alerts: (argv) => benchAlerts(parseAlertsArgs(argv)),
  throughput: (argv) => benchThroughput(parseThroughputArgs(argv)),
  memory: (argv) => benchMemory(parseMemoryArgs(argv)),
  drain: (argv) => benchDrain(parseDrainArgs(argv)),
  app: (argv) => benchApp(parseAppArgs(argv)),
  cli: (argv) => benchCli(parseCliArgs(argv)),
  unlock: (argv) => benchUnlock(parseUnlockArgs(argv)),
};

const argv = process.argv.slice(2).filter((a) => a !== '--');
const { values } = parseArgs({ args: argv, strict: false, options: { only: { type: 'string' }, 'no-report': { type: 'boolean' }, report: { type: 'string' } } });
const only = typeof values.only === 'string' ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : Object.keys(BENCHMARKS);
const unknown = only.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) throw new RangeError(`--only: no benchmark named ${unknown.join(', ')} (known: ${Object.keys(BENCHMARKS).join(', ')})`);

const started = performance.now();
for (const name of only) await BENCHMARKS[name]!(argv);
if (values['no-report'] !== true) {
  const path = typeof values.report === 'string' ? resolve(values.report) : resolve(REPO_ROOT, 'docs', 'benchmarks.md');
  writeReport(path, argv);
  process.stdout.write(`\nReport written to ${path}\n`);
}
process.stdout.write(`\nAll benchmarks done in ${((performance.now() - started) / 1000).toFixed(0)} s.\n`);
