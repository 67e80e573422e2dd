import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINTS } from '@aviso/protocol';
import { RelayRequestError } from '../../packages/client/src/errors.js';
import { RelayHttp } from '../../packages/client/src/transport/http.js';
import { runAviso } from '../support/cli-process.js';

// Relays that are there and yet not usable, as members meet them: a port that takes the connection
// and drops it (a wrong port, a half-configured proxy), and HTTPS with a certificate nobody trusts.

let home: string;
let certDir: string;
let dropper: TcpServer;
let dropperUrl: string;
let tls: HttpsServer;
let tlsUrl: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'aviso-unreachable-'));
  certDir = mkdtempSync(join(tmpdir(), 'aviso-cert-'));
  dropper = createTcpServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
  dropperUrl = `http://127.0.0.1:${(dropper.address() as AddressInfo).port}`;
  // A self-signed certificate, as an operator testing TLS by hand would make one.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
  tls = createHttpsServer({ key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) }, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  tlsUrl = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => dropper?.close(resolve));
  await new Promise((resolve) => tls?.close(resolve));
  rmSync(home, { recursive: true, force: true });
  rmSync(certDir, { recursive: true, force: true });
});

describe('a relay address that takes the connection and drops it', () => {
  it('is reported as unreachable with exit 1, not a silent exit 13', async () => {
    const res = await runAviso(home, ['--profile', 'dropped', '--json', 'register', dropperUrl, 'some-token']);
    expect(res.code).toBe(1);
    const error = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { type: string; code: string; message: string };
    expect(error).toMatchObject({ type: 'error', code: 'RELAY_DOWN' });
    expect(error.message).toContain(`cannot reach the relay at ${dropperUrl}`);
  });

  it("the SDK's request times out instead of waiting for ever", async () => {
    const http = new RelayHttp({ baseUrl: dropperUrl, timeoutMs: 500 });
    const err = await http.call(ENDPOINTS.relayInfo, {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RelayRequestError);
    expect((err as RelayRequestError).code).toBe('TIMEOUT');
  });
});

describe('a relay whose TLS certificate this machine does not trust', () => {
  it('is named as such by the CLI, not as a relay that is down', async () => {
    const res = await runAviso(home, ['--profile', 'tls', '--json', 'register', tlsUrl, 'some-token']);
    expect(res.code).toBe(1);
    const error = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { type: string; code: string; message: string };
    expect(error).toMatchObject({ type: 'error', code: 'TLS_UNTRUSTED' });
    expect(error.message).toContain('TLS certificate this computer does not trust, so nothing was sent');
    // The way to trust an organisation's own authority, and never a way to turn checking off.
    expect(error.message).toContain('NODE_EXTRA_CA_CERTS=');
    expect(error.message).not.toMatch(/NODE_TLS_REJECT_UNAUTHORIZED|insecure|disable|--no-verify/i);
    expect(res.stderr).toContain('NODE_EXTRA_CA_CERTS=');
  });

  it('is trusted once its authority is given with NODE_EXTRA_CA_CERTS, as the message says', async () => {
    const res = await runAviso(home, ['--profile', 'tls-ca', '--json', 'register', tlsUrl, 'some-token'], { NODE_EXTRA_CA_CERTS: join(certDir, 'cert.pem'), AVISO_LANG: 'en' });
    // This "relay" answers {} to everything: past TLS, registering fails on what it says, not on trust.
    const error = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { type: string; code: string };
    expect(error.type).toBe('error');
    expect(error.code).not.toBe('TLS_UNTRUSTED');
  });

  it('is TLS_UNTRUSTED and not retryable in the SDK', async () => {
    const http = new RelayHttp({ baseUrl: tlsUrl });
    const err = await http.call(ENDPOINTS.relayInfo, {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RelayRequestError);
    expect({ code: (err as RelayRequestError).code, retryable: (err as RelayRequestError).retryable }).toEqual({ code: 'TLS_UNTRUSTED', retryable: false });
  });
});
