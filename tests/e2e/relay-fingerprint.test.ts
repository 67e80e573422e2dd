/**
 * The relay fingerprint a member compares before trusting a relay (issue 13): two real relay
 * processes with their own trust roots, the operator's real `aviso-relay info`, the SDK, the real
 * `aviso` CLI, and a hostile HTTP server answering GET /v1/relay with what no relay sends. The app's
 * side (its "Check relay" step and /api/relay-fingerprint) is in app-organiser.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AvisoClient, fetchRelayFingerprint, MAX_RESPONSE_BYTES, RelayFingerprintMismatchError, RelayRequestError } from '@aviso/client';
import { runAviso } from '../support/cli-process.js';
import { ENDLESS, HOSTILE_ANSWERS, HostileRelay, type HostileKind } from '../support/hostile-relay.js';
import { RelayProcess } from '../support/relay.js';

let ours: RelayProcess;
let impostor: RelayProcess;
let hostile: HostileRelay;
let home: string;
/** What the operator of `ours` publishes: `aviso-relay info --json`'s trust root part. */
let published: { sha256Hex: string; lines: string[] };

beforeAll(async () => {
  [ours, impostor, hostile] = await Promise.all([RelayProcess.start(), RelayProcess.start(), HostileRelay.start()]);
  home = mkdtempSync(join(tmpdir(), 'aviso-fingerprint-'));
  const info = JSON.parse((await ours.cli('info', '--json')).stdout) as { trustRoot: { sha256Hex: string; lines: string[] } };
  published = info.trustRoot;
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([ours?.dispose(), impostor?.dispose(), hostile?.dispose()]);
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('the relay fingerprint', () => {
  test('the SDK reads what the operator publishes, in the same groups; another relay at the address shows another one', async () => {
    const seen = await fetchRelayFingerprint(ours.url);
    expect(seen.sha256Hex).toBe(published.sha256Hex);
    expect(seen.lines).toEqual(published.lines);
    expect(seen.lines).toHaveLength(4);
    for (const line of seen.lines) expect(line).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){3}$/);
    // The operator's text output carries the same lines, so a person reading it aloud reads these.
    const text = (await ours.cli('info')).stdout;
    for (const line of published.lines) expect(text).toContain(line);

    // Someone answering at the address the member was given (a seized DNS name, a typo): the
    // comparison with what the operator published catches it, group by group.
    const other = await fetchRelayFingerprint(impostor.url);
    expect(other.sha256Hex).not.toBe(published.sha256Hex);
    expect(other.lines.filter((line, i) => line !== published.lines[i]).length).toBeGreaterThan(0);
  });

  test('registering with the checked fingerprint refuses a relay with another trust root, before sending it anything', async () => {
    const client = await AvisoClient.open();
    try {
      const token = await impostor.createToken();
      const err = await client.register({ relayUrl: impostor.url, registrationToken: token, expectFingerprint: published.lines.join('\n') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RelayFingerprintMismatchError);
      expect((err as RelayFingerprintMismatchError).expected).toBe(published.sha256Hex);
      expect(client.isRegistered).toBe(false);
      // The token was never presented: it still registers (with that relay's own fingerprint).
      const theirs = await fetchRelayFingerprint(impostor.url);
      await client.register({ relayUrl: impostor.url, registrationToken: token, expectFingerprint: theirs.sha256Hex.toUpperCase() });
      expect(client.relayFingerprint).toEqual(theirs);
    } finally {
      await client.close();
    }
    const typo = await AvisoClient.open();
    try {
      await expect(typo.register({ relayUrl: ours.url, registrationToken: 'x', expectFingerprint: published.sha256Hex.slice(1) })).rejects.toThrow(RangeError);
      expect(typo.isRegistered).toBe(false);
    } finally {
      await typo.close();
    }
  });

  test('a hostile or malformed GET /v1/relay answer is a typed BAD_RESPONSE, never a fingerprint', async () => {
    for (const kind of Object.keys(HOSTILE_ANSWERS) as HostileKind[]) {
      const err = await fetchRelayFingerprint(hostile.url(kind)).catch((e: unknown) => e);
      expect(err, kind).toBeInstanceOf(RelayRequestError);
      expect((err as RelayRequestError).code, kind).toBe('BAD_RESPONSE');
    }
    // An answer that never ends is refused at the SDK's response cap, not read until the deadline
    // (a 60 s deadline here: without the cap it is a TIMEOUT, with everything read held in memory).
    const endless = await fetchRelayFingerprint(hostile.url(ENDLESS), { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(endless).toBeInstanceOf(RelayRequestError);
    expect([(endless as RelayRequestError).code, (endless as RelayRequestError).message]).toEqual(['BAD_RESPONSE', `GET /v1/relay: the response is larger than ${MAX_RESPONSE_BYTES} bytes, more than any relay sends`]);
    // Registration reads the same answer through the same check.
    const client = await AvisoClient.open();
    try {
      const err = await client.register({ relayUrl: hostile.url('not-a-key'), registrationToken: 'x' }).catch((e: unknown) => e);
      expect((err as RelayRequestError).code).toBe('BAD_RESPONSE');
      expect(client.isRegistered).toBe(false);
    } finally {
      await client.close();
    }
    await expect(fetchRelayFingerprint('ftp://relay.example.org')).rejects.toThrow(TypeError);
    await expect(fetchRelayFingerprint('not an address')).rejects.toThrow(TypeError);
    const down = await fetchRelayFingerprint('http://127.0.0.1:1', { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect((down as RelayRequestError).code).toBe('NETWORK_ERROR');
  });

  test('the CLI: `aviso fingerprint <url>` before, `register --fingerprint` refuses another relay, then prints and keeps the pinned one', { timeout: 120_000 }, async () => {
    const before = await runAviso(home, ['fingerprint', ours.url]);
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout.split('\n').slice(1, 5).map((l) => l.trim())).toEqual(published.lines);

    const refused = await runAviso(home, ['register', impostor.url, await impostor.createToken(), '--fingerprint', published.lines.join(' '), '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout.trim())).toMatchObject({ type: 'error', code: 'FINGERPRINT_MISMATCH' });
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    const registered = await runAviso(home, ['register', ours.url, await ours.createToken(), '--fingerprint', published.sha256Hex], { AVISO_LANG: 'es' });
    expect(registered.code, registered.stderr).toBe(0);
    expect(registered.stdout).toContain('huella del servidor');
    for (const line of published.lines) expect(registered.stdout).toContain(`  ${line}\n`);

    const pinned = await runAviso(home, ['fingerprint', '--json']);
    expect(pinned.code, pinned.stderr).toBe(0);
    expect(JSON.parse(pinned.stdout.trim())).toEqual({ type: 'relay-fingerprint', relayUrl: ours.url, pinned: true, sha256Hex: published.sha256Hex, lines: published.lines });

    const bad = await runAviso(home, ['fingerprint', hostile.url('html'), '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout.trim())).toMatchObject({ type: 'error', code: 'RELAY_BAD_RESPONSE' });
  });
});
