/**
 * What every browser test of the app shares: Debian chromium, axe-core's serious and critical findings,
 * and the ignored folder screenshots go to (.ci/out/app-screens).
 */
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from './relay.js';

export const CHROMIUM = process.env['AVISO_CHROMIUM'] ?? '/usr/bin/chromium';
export const SHOTS = join(REPO_ROOT, '.ci', 'out', 'app-screens');
// Evaluated through the DevTools protocol: the app's CSP (rightly) refuses an injected <script>.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core'), 'utf8');

/** Headless Debian chromium (never a browser a package downloads). */
export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** axe-core's serious and critical findings on the page as it is now, one line each. */
export async function axeProblems(p: Page): Promise<string[]> {
  await p.evaluate(axeSource);
  const found = await p.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const r = await axe.run();
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.targets.join(', ')}`);
}

/** A full-page screenshot named `<screen>-<lang>-<width>.png` in the artifacts folder. */
export async function shot(p: Page, name: string): Promise<void> {
  const width = p.viewportSize()?.width ?? 0;
  await p.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
}
