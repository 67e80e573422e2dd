import { z } from 'zod';
import { base64Bytes } from '../primitives.js';

/**
 * `GET /v1/certificate/delivery`: a sender certificate for the authenticated device, signed by the
 * relay's server certificate (which embeds its signer, chained to the trust root). Senders put it
 * inside sealed-sender envelopes so recipients learn who sent a message and the relay does not.
 */
export const SenderCertificateResponse = z.object({
  certificate: base64Bytes(1024, 64),
  /** Milliseconds since the epoch; clients fetch a new one ahead of this. */
  expiresAt: z.int().positive(),
});
export type SenderCertificateResponse = z.infer<typeof SenderCertificateResponse>;
