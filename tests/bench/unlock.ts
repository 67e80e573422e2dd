import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AvisoClient, SqliteStore } from '@aviso/client';
import { addSection, benchCommand, mdTable, met } from './support/report.js';
import { intFlag } from './support/flags.js';
import { ms, percentile } from './support/stats.js';

/**
 * Unlock time with the duress passphrase against a normal unlock (docs/sdk.md "Duress passphrase"):
 * one passphrase-protected store (default scrypt, a duress passphrase set, some data), copied afresh
 * for every open; each round opens and closes one copy with the real passphrase, one with the duress
 * passphrase (which replaces its copy by an empty store) and one with a wrong passphrase, in turn,
 * after one uncounted round. Target: the duress unlock's p50 within 15% of the normal one's (the
 * baseline, same rounds); a wrong passphrase costs the same scrypt work and no more.
 */

export interface UnlockBenchOptions {
  runs: number;
}

const DEFAULT_RUNS = 7;

export function parseUnlockArgs(argv: string[]): UnlockBenchOptions {
  const { values } = parseArgs({ args: argv, strict: false, options: { 'unlock-runs': { type: 'string' } } });
  return { runs: intFlag(values, 'unlock-runs', DEFAULT_RUNS, 2, 100) };
}

const REAL = 'bench real passphrase';
const DURESS = 'bench duress passphrase';

async function timed(dir: string, passphrase: string): Promise<number> {
  const started = performance.now();
  try {
    await (await AvisoClient.open({ dataDir: dir, passphrase })).close();
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'WRONG_PASSPHRASE') throw err;
  }
  return performance.now() - started;
}

export async function benchUnlock(o: UnlockBenchOptions): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'aviso-bench-unlock-'));
  try {
    const template = join(root, 'template');
    const client = await AvisoClient.open({ dataDir: template });
    await client.close();
    // Some bulk, so the duress unlock has a real database file to replace (about 1 MiB).
    const store = SqliteStore.open(template);
    store.commit({ meta: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`bench-${i}`, 'x'.repeat(64 * 1024)])) });
    store.close();
    const protectedClient = await AvisoClient.open({ dataDir: template, passphrase: REAL });
    await protectedClient.setDuressPassphrase(REAL, DURESS);
    await protectedClient.close();

    const cases = [
      ['normal unlock (the real passphrase)', REAL],
      ['duress unlock', DURESS],
      ['wrong passphrase', 'not the passphrase'],
    ] as const;
    const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
    for (let round = 0; round <= o.runs; round++) {
      for (const [name, passphrase] of cases) {
        const dir = join(root, `${round}-${name.length}`);
        cpSync(template, dir, { recursive: true });
        const t = await timed(dir, passphrase);
        if (round > 0) times.get(name)!.push(t);
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const p50 = (name: string) => percentile(times.get(name)!, 50);
    const normal = p50(cases[0][0]);
    const rows = cases.map(([name]) => [name, String(times.get(name)!.length), ms(p50(name)), ms(percentile(times.get(name)!, 90)), `${(p50(name) / normal).toFixed(2)}×`]);
    const ratio = p50(cases[1][0]) / normal;
    addSection({
      title: 'Unlock: duress against normal',
      command: benchCommand(['--only', 'unlock', ...(o.runs === DEFAULT_RUNS ? [] : ['--unlock-runs', String(o.runs)])]),
      body: [
        `\`AvisoClient.open({ dataDir, passphrase })\` then \`close()\` of a fresh copy of one protected store (default scrypt N=2^17, a duress passphrase set, about 1 MiB of data), ${o.runs} rounds after one uncounted round, the three cases in turn in every round. Baseline in the same rounds: the normal unlock.`,
        '',
        mdTable(['case', 'runs', 'p50', 'p90', 'p50 / normal'], rows),
        '',
        `- duress unlock within 15% of a normal unlock (p50/p50): ${ratio.toFixed(2)}× — ${met(Math.abs(ratio - 1) <= 0.15)}`,
      ].join('\n'),
    });
    process.stdout.write(`unlock: normal ${ms(normal)}, duress ${ms(p50(cases[1][0]))} (${ratio.toFixed(2)}×), wrong ${ms(p50(cases[2][0]))}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
