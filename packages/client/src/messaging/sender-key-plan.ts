import { SENDER_KEY_MAX_AGE_MS } from '../crypto/sender-keys.js';
import type { SenderKeyDevice, SenderKeyInfo } from '../stores/interfaces.js';

/**
 * The pure half of a group send (docs/alerts.md "Sending"), as Signal's device analysis in
 * sendToGroup: given the member devices we have sessions with and who holds our sender key, decide
 * who must get the key (an SKDM) and when the key must be replaced. No I/O, no store.
 */

/** A member device with a current session: what the sender key, the upload and the token cover. */
export interface RecipientDevice {
  deviceId: number;
  registrationId: number;
}
/** Each recipient account's current devices (accounts without a session map to []). */
export type DeviceMap = Map<string, RecipientDevice[]>;

/**
 * Why our sender key must be replaced before sending: 'none' exists yet, it is older than 90 days
 * ('age'), or a device that holds it belongs to someone no longer a member ('member-left').
 * Undefined: keep it.
 */
export type SenderKeyReset = 'none' | 'age' | 'member-left';

export function senderKeyReset(info: SenderKeyInfo | undefined, members: ReadonlySet<string>, now: number): SenderKeyReset | undefined {
  if (!info) return 'none';
  if (now - info.createdAt > SENDER_KEY_MAX_AGE_MS) return 'age';
  if (!info.devices.every((d) => members.has(d.accountId))) return 'member-left';
  return undefined;
}

const deviceKey = (accountId: string, deviceId: number, registrationId: number) => `${accountId}.${deviceId}.${registrationId}`;

/**
 * Accounts with a device that does not hold our sender key `info`: a new device, or one reinstalled
 * (same id, another registration id) since the key was sent.
 */
export function lackingKey(info: SenderKeyInfo, accounts: readonly string[], devices: DeviceMap): string[] {
  const has = new Set(info.devices.map((d) => deviceKey(d.accountId, d.deviceId, d.registrationId)));
  return accounts.filter((a) => (devices.get(a) ?? []).some((d) => !has.has(deviceKey(a, d.deviceId, d.registrationId))));
}

/** The holders after an SKDM went to `lacking`: theirs replaced by the devices it `reached`. */
export function holdersAfterDistribution(info: SenderKeyInfo, lacking: readonly string[], reached: readonly SenderKeyDevice[]): SenderKeyDevice[] {
  const sentTo = new Set(lacking);
  return [...info.devices.filter((d) => !sentTo.has(d.accountId)), ...reached];
}

/** The holders without devices the relay reports stale (`accountId.deviceId`): reinstalled, they lost the key. */
export function withoutStale(info: SenderKeyInfo, stale: ReadonlySet<string>): SenderKeyInfo {
  return { ...info, devices: info.devices.filter((d) => !stale.has(`${d.accountId}.${d.deviceId}`)) };
}

/** Whether two records name the same key held by the same devices (then nothing needs writing). */
export function sameHolders(a: SenderKeyInfo, b: SenderKeyInfo | undefined): boolean {
  if (!b || a.distributionId !== b.distributionId || a.createdAt !== b.createdAt || a.devices.length !== b.devices.length) return false;
  const stored = new Set(b.devices.map((d) => deviceKey(d.accountId, d.deviceId, d.registrationId)));
  return a.devices.every((d) => stored.has(deviceKey(d.accountId, d.deviceId, d.registrationId)));
}
