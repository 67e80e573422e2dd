import { LIMITS, PROTOCOL_VERSION, type RelayInfo } from '@aviso/protocol';
import type { Config } from '../../config.js';
import type { RelayKeys } from '../../relay-keys.js';
import { RELAY_VERSION } from '../../version.js';
import { toBase64 } from './bytes.js';

/** The relay's public parameters, fixed for the life of the process. */
export function relayInfo(config: Config, keys: RelayKeys): RelayInfo {
  return {
    protocolVersion: PROTOCOL_VERSION,
    relayVersion: RELAY_VERSION,
    trustRoot: toBase64(keys.trustRoot.serialize()),
    zkgroupPublicParams: toBase64(keys.zkgroupPublicParams),
    limits: {
      maxEnvelopeBytes: LIMITS.maxEnvelopeBytes,
      maxDevicesPerAccount: LIMITS.maxDevicesPerAccount,
      maxPreKeysPerUpload: LIMITS.maxPreKeysPerUpload,
      maxFrameBytes: LIMITS.maxFrameBytes,
      maxBodyBytes: LIMITS.maxBodyBytes,
      queueMaxPerDevice: config.queueMaxPerDevice,
      queueTtlSeconds: config.queueTtlDays * 86_400,
      senderCertificateTtlSeconds: config.senderCertTtlHours * 3600,
    },
  };
}
