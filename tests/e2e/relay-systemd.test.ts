import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../support/relay.js';

/** Issue 14, "systemd unit": deploy/aviso-relay.service is valid, hardened, and runs the relay itself. */

const UNIT = join(REPO_ROOT, 'deploy/aviso-relay.service');
const run = promisify(execFile);

function hasSystemdAnalyze(): boolean {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const analyze = hasSystemdAnalyze();

describe('deploy/aviso-relay.service', () => {
  const unit = readFileSync(UNIT, 'utf8');
  const settings = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]);

  test('runs node on the relay CLI directly (signals reach the relay), as its own user, with its own data folder', () => {
    expect(settings('ExecStart')).toEqual(['/usr/bin/node --conditions=@aviso/source --import tsx packages/server/src/cli/main.ts serve']);
    expect(settings('User')).toEqual(['aviso-relay']);
    expect(settings('StateDirectory')).toEqual(['aviso-relay']);
    expect(settings('StateDirectoryMode')).toEqual(['0700']);
    expect(settings('Environment')).toContain('AVISO_DATA_DIR=/var/lib/aviso-relay');
  });

  test('is hardened', () => {
    for (const [key, value] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['PrivateDevices', 'yes'],
      ['RestrictSUIDSGID', 'yes'],
      ['CapabilityBoundingSet', ''],
      ['UMask', '0077'],
    ] as const) {
      expect(settings(key), key).toEqual([value]);
    }
  });

  // Skipped only where systemd's tools are not installed (containers without systemd); Debian's
  // `systemd` package ships systemd-analyze.
  test.runIf(analyze)('passes systemd-analyze verify, and its security review rates it at most 2 of 10', { timeout: 60_000 }, async () => {
    const verify = await run('systemd-analyze', ['verify', UNIT]);
    expect(verify.stderr.trim()).toBe('');
    const { stdout } = await run('systemd-analyze', ['security', '--offline=yes', UNIT]);
    const exposure = Number(/Overall exposure level for aviso-relay\.service: ([\d.]+)/.exec(stdout)?.[1]);
    expect(exposure).toBeLessThanOrEqual(2);
  });

  test.skipIf(analyze)('systemd-analyze is not installed on this machine: the unit could not be verified', () => {});
});
