import { z } from 'zod';
import { ErrorCodeSchema } from '../errors.js';
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

/** One recipient of a batched 1:1 send: what `PUT /v1/messages/:accountId` would carry for it. */
export const SendBatchDestination = z
  .object({
    accountId: AccountId,
    messages: z.array(OutgoingMessage).min(1).max(LIMITS.maxDevicesPerAccount),
    timestamp: Timestamp,
  })
  .strict()
  .refine((d) => new Set(d.messages.map((m) => m.destinationDeviceId)).size === d.messages.length, { message: 'duplicate destinationDeviceId' });
export type SendBatchDestination = z.infer<typeof SendBatchDestination>;

/**
 * `POST /v1/messages/batch`: several 1:1 sealed-sender sends in one request (a sender's SKDMs to
 * the members it has not reached), each checked, rate-limited and stored exactly as its own
 * `PUT /v1/messages/:accountId` would be. At most `maxSendBatchDestinations`, no account twice.
 */
export const SendBatchRequest = z
  .object({ destinations: z.array(SendBatchDestination).min(1).max(LIMITS.maxSendBatchDestinations) })
  .strict()
  .refine((r) => new Set(r.destinations.map((d) => d.accountId)).size === r.destinations.length, { message: 'an account is listed twice', path: ['destinations'] });
export type SendBatchRequest = z.infer<typeof SendBatchRequest>;

/**
 * One result per destination, in the request's order: `stored` as a single send answers, or the
 * `error` that single send would have answered (`MISMATCHED_DEVICES`, `STALE_DEVICES` with their
 * details, `NOT_FOUND`, `RATE_LIMITED`, `STORAGE_UNAVAILABLE`); one refused destination takes nothing
 * from the others.
 */
export const SendBatchResult = z.object({
  accountId: AccountId,
  stored: z.int().min(0).optional(),
  error: z.object({ code: ErrorCodeSchema, details: z.record(z.string(), z.unknown()).optional() }).optional(),
});
export type SendBatchResult = z.infer<typeof SendBatchResult>;
export const SendBatchResponse = z.object({ results: z.array(SendBatchResult).max(LIMITS.maxSendBatchDestinations) });
export type SendBatchResponse = z.infer<typeof SendBatchResponse>;

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
