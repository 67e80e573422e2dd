import { RelayInfo, ROUTES } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { createLogger, startServer } from '../src/index.js';
import { envelopeContent, LogSink, registerUser, tempDir, testConfig } from './helpers.js';

describe('restart', () => {
  test('stored envelopes, accounts and relay keys survive a graceful restart', async () => {
    const dir = tempDir();
    const start = () => startServer(testConfig({}, dir), { logger: createLogger('error', new LogSink().stream), sweepIntervalMs: 0 });

    const first = await start();
    const [alice, bob] = [await registerUser({ ctx: first.context, app: first.app }), await registerUser({ ctx: first.context, app: first.app })];
    const sent = await first.app.inject({
      method: 'PUT',
      url: ROUTES.messages.path(bob.accountId),
      headers: { authorization: alice.auth },
      payload: { messages: [{ destinationDeviceId: 1, destinationRegistrationId: bob.registrationId, content: envelopeContent(40, 5) }], timestamp: 1 },
    });
    expect(sent.statusCode).toBe(200);
    const infoBefore = RelayInfo.parse((await first.app.inject({ method: 'GET', url: ROUTES.relayInfo })).json());
    await first.close();

    await using second = await start();
    const infoAfter = RelayInfo.parse((await second.app.inject({ method: 'GET', url: ROUTES.relayInfo })).json());
    expect(infoAfter.trustRoot).toBe(infoBefore.trustRoot);
    expect(infoAfter.zkgroupPublicParams).toBe(infoBefore.zkgroupPublicParams);
    const queued = second.context.services.messages.fetch({ accountId: bob.accountId, deviceId: 1 }, 0, 10);
    expect(queued).toHaveLength(1);
    expect(queued[0]!.envelope.content).toBe(envelopeContent(40, 5));
    const auth = await second.app.inject({ method: 'GET', url: ROUTES.keys, headers: { authorization: bob.auth } });
    expect(auth.statusCode).toBe(200);
  });
});
