import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { acquireDataLock } from '../src/cli/data-lock.js';
import { EXIT_FAILURE, runCli } from '../src/cli/run.js';
import { loadConfig } from '../src/index.js';
import { tempDir } from './helpers.js';

describe('AVISO_METRICS_PORT', () => {
  test('is off unless set; 0 and a port are accepted, anything else is refused by name', () => {
    expect(loadConfig({}).metrics).toBeUndefined();
    expect(loadConfig({ AVISO_METRICS_PORT: '' }).metrics).toBeUndefined();
    expect(loadConfig({ AVISO_METRICS_PORT: '9464' }).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadConfig({ AVISO_METRICS_PORT: '0', AVISO_METRICS_HOST: '::1' }).metrics).toEqual({ host: '::1', port: 0 });
    expect(() => loadConfig({ AVISO_METRICS_PORT: 'on' })).toThrow(/AVISO_METRICS_PORT/);
  });

  test('a metrics port in use stops serve with a line naming AVISO_METRICS_PORT, and lets go of the relay port and data folder', async () => {
    const dir = tempDir();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as AddressInfo;
    try {
      const err: string[] = [];
      const io = { out: () => {}, err: (l: string) => err.push(l) };
      expect(await runCli(['serve'], { AVISO_DATA_DIR: dir, AVISO_PORT: '0', AVISO_METRICS_PORT: String(port), AVISO_LOG_LEVEL: 'error' }, io)).toBe(EXIT_FAILURE);
      expect(err).toEqual([`aviso-relay: the metrics port ${port} on 127.0.0.1 is already in use — stop the program using it or set AVISO_METRICS_PORT`]);
      acquireDataLock(dir, 'still held').release();
    } finally {
      blocker.close();
    }
  });
});
