import { z } from 'zod';
import { base64Bytes } from '../primitives.js';

/** `GET /v1/relay`: the relay's public parameters. Unauthenticated; clients pin `trustRoot` on first contact. */
export const RelayInfo = z.object({
  protocolVersion: z.int().min(1),
  /**
   * The relay software's own version (`aviso-relay --version`), for operators and support; optional
   * because relays before it did not send one, and nothing may depend on it for behaviour.
   */
  relayVersion: z.string().min(1).max(64).optional(),
  /** Public key of the relay's trust root; it signs the server certificate inside every sender certificate. */
  trustRoot: base64Bytes(33, 33),
  /** zkgroup `ServerPublicParams`, used by private groups. */
  zkgroupPublicParams: base64Bytes(2048, 16),
  limits: z.object({
    maxEnvelopeBytes: z.int().positive(),
    maxDevicesPerAccount: z.int().positive(),
    maxPreKeysPerUpload: z.int().positive(),
    maxFrameBytes: z.int().positive(),
    maxBodyBytes: z.int().positive(),
    queueMaxPerDevice: z.int().positive(),
    queueTtlSeconds: z.int().positive(),
    senderCertificateTtlSeconds: z.int().positive(),
  }),
});
export type RelayInfo = z.infer<typeof RelayInfo>;
