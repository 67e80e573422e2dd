import { z } from 'zod';
import { LIMITS } from '../limits.js';
import { AccountId, base64Bytes, DeviceId, RegistrationId, Timestamp } from '../primitives.js';

/** One device's sealed-sender ciphertext in a send. */
export const OutgoingMessage = z.object({
  destinationDeviceId: DeviceId,
  destinationRegistrationId: RegistrationId,
  content: base64Bytes(LIMITS.maxEnvelopeBytes),
});
export type OutgoingMessage = z.infer<typeof OutgoingMessage>;

/**
 * `PUT /v1/messages/:accountId`: one sealed-sender ciphertext for every device of the recipient.
 * The relay checks the device set (409 MISMATCHED_DEVICES) and registration ids (410 STALE_DEVICES)
 * and stores each envelope with no sender: the sender is inside the encryption.
 */
export const SendMessagesRequest = z
  .object({
    messages: z.array(OutgoingMessage).min(1).max(LIMITS.maxDevicesPerAccount),
    timestamp: Timestamp,
  })
  .strict()
  .refine((r) => new Set(r.messages.map((m) => m.destinationDeviceId)).size === r.messages.length, {
    message: 'duplicate destinationDeviceId',
  });
export type SendMessagesRequest = z.infer<typeof SendMessagesRequest>;

export const SendMessagesParams = z.object({ accountId: AccountId });

export const SendMessagesResponse = z.object({ stored: z.int().min(0) });
export type SendMessagesResponse = z.infer<typeof SendMessagesResponse>;

/** `details` of a 409 MISMATCHED_DEVICES error. */
export const MismatchedDevices = z.object({
  missingDevices: z.array(DeviceId),
  extraDevices: z.array(DeviceId),
});
export type MismatchedDevices = z.infer<typeof MismatchedDevices>;

/** `details` of a 410 STALE_DEVICES error. */
export const StaleDevices = z.object({ staleDevices: z.array(DeviceId) });
export type StaleDevices = z.infer<typeof StaleDevices>;

/** What the relay delivers: no sender, no destination beyond the socket it travels on. */
export const Envelope = z.object({
  /** Random id for acknowledgement and client-side dedupe of redeliveries. */
  guid: z.uuid(),
  /** When the relay stored it (ms, rounded down to the minute). Recipients validate sender certificates against it. */
  serverTimestamp: Timestamp,
  content: base64Bytes(LIMITS.maxEnvelopeBytes),
});
export type Envelope = z.infer<typeof Envelope>;
