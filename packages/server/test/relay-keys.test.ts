import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadOrCreateRelayKeys, RELAY_KEYS_FILE } from '../src/relay-keys.js';
import { tempDir } from './helpers.js';

describe('relay keys', () => {
  test('generated once, then the same keys load on every later start', () => {
    const dir = tempDir();
    const first = loadOrCreateRelayKeys(dir);
    const second = loadOrCreateRelayKeys(dir);
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.keys.trustRoot.equals(first.keys.trustRoot)).toBe(true);
    expect(Buffer.from(second.keys.serverCertificate.serialize())).toEqual(Buffer.from(first.keys.serverCertificate.serialize()));
    expect(Buffer.from(second.keys.zkgroupPublicParams)).toEqual(Buffer.from(first.keys.zkgroupPublicParams));
    const keyId = first.keys.serverCertificate.keyId();
    expect([0, 2, 3, 0xdeadc357, 0x7357c357]).not.toContain(keyId);
    // The server certificate is signed by the trust root.
    const cert = first.keys.serverCertificate;
    expect(first.keys.trustRoot.verify(cert.certificateData(), cert.signature())).toBe(true);
  });

  test('a key file whose certificate does not match is refused', () => {
    const [a, b] = [tempDir(), tempDir()];
    loadOrCreateRelayKeys(a);
    loadOrCreateRelayKeys(b);
    const fileA = JSON.parse(readFileSync(join(a, RELAY_KEYS_FILE), 'utf8'));
    const fileB = JSON.parse(readFileSync(join(b, RELAY_KEYS_FILE), 'utf8'));
    const mixed = tempDir();
    writeFileSync(join(mixed, RELAY_KEYS_FILE), JSON.stringify({ ...fileA, serverCertificate: fileB.serverCertificate }));
    expect(() => loadOrCreateRelayKeys(mixed)).toThrow(/server certificate/);
  });
});
