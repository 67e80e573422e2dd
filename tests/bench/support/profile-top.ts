import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The heaviest functions of a V8 CPU profile (`.cpuprofile`), by self time and by total time
 * (time with the function anywhere on the stack): `node --import tsx tests/bench/support/profile-top.ts FILE [N]`.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function topFrames(profile: Profile, n: number): { self: Array<[string, number]>; total: Array<[string, number]>; totalUs: number } {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const parent = new Map<number, number>();
  for (const x of profile.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
  const label = (x: ProfileNode) => `${x.callFrame.functionName || '(anonymous)'} ${x.callFrame.url.replace(/^.*\/(packages|node_modules)\//, '$1/')}:${x.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    totalUs += dt;
    const leaf = byId.get(id);
    if (!leaf) return;
    self.set(label(leaf), (self.get(label(leaf)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (seen.has(l)) continue;
      seen.add(l);
      total.set(l, (total.get(l) ?? 0) + dt);
    }
  });
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  return { self: sorted(self), total: sorted(total), totalUs };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: profile-top.ts FILE [N]');
  const { self, total, totalUs } = topFrames(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(process.argv[3] ?? 30));
  const pct = (us: number) => `${((100 * us) / totalUs).toFixed(1).padStart(5)}%`;
  process.stdout.write(`profile: ${(totalUs / 1000).toFixed(0)} ms sampled\n\nself time:\n`);
  for (const [l, us] of self) process.stdout.write(`${pct(us)}  ${l}\n`);
  process.stdout.write('\ntotal time (on the stack):\n');
  for (const [l, us] of total) process.stdout.write(`${pct(us)}  ${l}\n`);
}
