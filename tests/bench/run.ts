import { benchAlerts, parseAlertsArgs } from './alerts.js';
import { benchGroups, parseGroupsArgs } from './groups.js';

/**
 * Every benchmark, one after another: `pnpm bench [-- --members N …]`. Not part of `vitest run`:
 * benchmarks time things and take minutes; tests do neither.
 */
const argv = process.argv.slice(2).filter((a) => a !== '--');
const started = performance.now();
await benchGroups(parseGroupsArgs(argv));
await benchAlerts(parseAlertsArgs(argv));
process.stdout.write(`\nAll benchmarks done in ${((performance.now() - started) / 1000).toFixed(0)} s.\n`);
