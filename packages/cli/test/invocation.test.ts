import { describe, expect, it } from 'vitest';
import { invokedAs, suggestion } from '../src/invocation.js';
import { runCli } from '../src/run.js';
import { memoryIo } from './helpers.js';

describe('suggested commands follow how aviso was run', () => {
  it('names the npm script, a command on PATH, or the built file', () => {
    expect(invokedAs({ npm_lifecycle_event: 'aviso' }, '/repo/packages/cli/dist/main.js', '/repo')).toBe('npm run aviso --');
    expect(invokedAs({ npm_lifecycle_event: 'aviso', npm_config_loglevel: 'silent' }, '/repo/packages/cli/dist/main.js', '/repo')).toBe('npm run -s aviso --');
    expect(invokedAs({ npm_lifecycle_event: 'aviso', npm_config_user_agent: 'pnpm/12.4.2 npm/? node/v20.20.2' }, undefined, '/repo')).toBe('pnpm aviso');
    expect(invokedAs({}, '/home/rosa/.local/bin/aviso', '/home/rosa')).toBe('aviso');
    expect(invokedAs({}, '/repo/packages/cli/dist/main.js', '/repo')).toBe('node packages/cli/dist/main.js');
    expect(invokedAs({}, '/my repo/packages/cli/dist/main.js', '/tmp')).toBe("node '../my repo/packages/cli/dist/main.js'");
    expect(invokedAs({}, '/repo/packages/cli/src/main.ts', '/repo')).toBe('aviso');
    expect(invokedAs({ npm_lifecycle_event: 'test' }, undefined, '/repo')).toBe('aviso');
  });

  it('keeps --profile unless it is the default profile', () => {
    expect(suggestion('npm run -s aviso --', 'ana', 'listen')).toBe('npm run -s aviso -- --profile ana listen');
    expect(suggestion('aviso', 'default', 'listen')).toBe('aviso listen');
    expect(suggestion(undefined, 'default', 'invite "Eastside"')).toBe('aviso invite "Eastside"');
  });
});

describe('--version', () => {
  it('prints the version and protocol, as text or JSON, with or without a command', async () => {
    const io = memoryIo();
    expect(await runCli(['--version'], io)).toBe(0);
    expect(io.stdout).toEqual([expect.stringMatching(/^aviso \d+\.\d+\.\d+ \(protocol 2\)$/)]);
    const json = memoryIo();
    expect(await runCli(['--version', '--json'], json)).toBe(0);
    expect(JSON.parse(json.stdout[0]!)).toMatchObject({ type: 'version', protocol: 2 });
  });
});
