import { SessionRecord } from '@signalapp/libsignal-client';
import { MismatchedDevices, MultiMismatchedDevices, MultiStaleDevices, StaleDevices } from '@aviso/protocol';
import { RelayRequestError } from '../errors.js';
import type { AvisoStore } from '../stores/interfaces.js';
import { Zone } from '../stores/zone.js';
import { copyBytes } from '../util/bytes.js';
import type { CryptoQueue } from './crypto-queue.js';

/** Sends (1:1 and group) are tried this often while the relay reports changed device lists. */
export const SEND_ATTEMPTS = 3;

/** What a 409 (mismatched) or 410 (stale) says to change for one recipient account. */
export interface DeviceRepair {
  accountId: string;
  /** Sessions to archive: devices the account no longer has (409) or that were reinstalled (410). */
  archive: number[];
  /** Devices to fetch a prekey bundle for and start a session with. */
  refetch: number[];
  /** True for 410: the devices exist but lost their state (a group sender's key too). */
  stale: boolean;
}

/**
 * The relay's device-list refusal, read the same way for a 1:1 send (`to` given: single-account
 * details) and a group send (per-account details). Undefined for any other error.
 */
export function readDeviceRepairs(err: unknown, to?: string): DeviceRepair[] | undefined {
  if (!(err instanceof RelayRequestError)) return undefined;
  if (err.code === 'MISMATCHED_DEVICES') {
    if (to !== undefined) {
      const d = MismatchedDevices.parse(err.details);
      return [{ accountId: to, archive: d.extraDevices, refetch: d.missingDevices, stale: false }];
    }
    return MultiMismatchedDevices.parse(err.details).accounts.map((a) => ({ accountId: a.accountId, archive: a.extraDevices, refetch: a.missingDevices, stale: false }));
  }
  if (err.code === 'STALE_DEVICES') {
    if (to !== undefined) {
      const d = StaleDevices.parse(err.details);
      return [{ accountId: to, archive: d.staleDevices, refetch: d.staleDevices, stale: true }];
    }
    return MultiStaleDevices.parse(err.details).accounts.map((a) => ({ accountId: a.accountId, archive: a.staleDevices, refetch: a.staleDevices, stale: true }));
  }
  return undefined;
}

/**
 * The one 409/410 path (docs/alerts.md "Sending"): which devices of a recipient have a usable
 * session, and what the relay's refusal changes about them. 1:1 and group sends both retry through it.
 */
export class DeviceSync {
  constructor(
    private readonly store: AvisoStore,
    private readonly crypto: CryptoQueue,
  ) {}

  /**
   * Archives the sessions a 409/410 names and returns what to refetch; undefined when `err` is not
   * a device-list refusal (the caller rethrows it).
   */
  async repair(err: unknown, to?: string): Promise<DeviceRepair[] | undefined> {
    const repairs = readDeviceRepairs(err, to);
    if (!repairs) return undefined;
    for (const r of repairs) await this.archive(r.accountId, r.archive);
    return repairs;
  }

  /** Archives the current session with each device (the next send starts a fresh one). */
  async archive(accountId: string, devices: readonly number[]): Promise<void> {
    if (devices.length === 0) return;
    await this.crypto.inZone(accountId, async (zone) => archiveSessions(zone, accountId, devices));
  }

  /** Devices of `accountId` with a usable (current, unarchived) session. */
  currentDevices(accountId: string, zone: Zone = new Zone(this.store)): number[] {
    return zone.getSessionDevices(accountId).filter((d) => {
      const raw = zone.getSession(accountId, d);
      return raw !== undefined && SessionRecord.deserialize(copyBytes(raw)).hasCurrentState();
    });
  }
}

/** Archives, inside `zone`, the current session with each of `devices` that has one. */
export function archiveSessions(zone: Zone, accountId: string, devices: Iterable<number>, onlyCurrent = false): void {
  for (const d of devices) {
    const raw = zone.getSession(accountId, d);
    if (!raw) continue;
    const record = SessionRecord.deserialize(copyBytes(raw));
    if (onlyCurrent && !record.hasCurrentState()) continue;
    record.archiveCurrentState();
    zone.setSession(accountId, d, record.serialize());
  }
}
