import { and, asc, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { AccountRecord, AccountsStore, DeviceAddress, DeviceRecord } from '../../ports/accounts.js';
import type { Synchronous } from '../../ports/maybe-promise.js';
import type { Db } from './db.js';
import { accounts, devices } from './schema.js';

export class AccountsRepository implements Synchronous<AccountsStore> {
  // A group send looks up every recipient account's devices: prepared once, not rebuilt per recipient.
  private readonly q;
  /**
   * Device lists by account, as read from the table. A group send checks every recipient's devices,
   * and reading 1,000 accounts' rows per alert cost more than storing the alert. Safe to keep because
   * an account's devices and their registration ids never change once it is created (one device per
   * account; linking devices will have to update this). Only lists read back are remembered, never an
   * unknown account, so a rolled-back registration cannot leave a phantom here.
   */
  private readonly deviceLists = new Map<string, DeviceAddress[]>();

  constructor(private readonly db: Db) {
    this.q = {
      devices: db
        .select({ deviceId: devices.deviceId, registrationId: devices.registrationId })
        .from(devices)
        .where(eq(devices.accountId, sql.placeholder('accountId')))
        .orderBy(asc(devices.deviceId))
        .prepare(),
      // The account ids go in as one JSON array: one prepared statement whatever the group size.
      devicesOfMany: db
        .select({ accountId: devices.accountId, deviceId: devices.deviceId, registrationId: devices.registrationId })
        .from(devices)
        .where(inArray(devices.accountId, sql`(SELECT value FROM json_each(${sql.placeholder('ids')}))`))
        .orderBy(asc(devices.accountId), asc(devices.deviceId))
        .prepare(),
    };
  }

  create(account: AccountRecord, device: DeviceRecord): void {
    this.db
      .insert(accounts)
      .values({ ...account, identityKey: Buffer.from(account.identityKey), authCredentialSalt: Buffer.from(account.authCredentialSalt) })
      .run();
    this.db
      .insert(devices)
      .values({ ...device, authSalt: Buffer.from(device.authSalt), authHash: Buffer.from(device.authHash) })
      .run();
  }

  identityKey(accountId: string): Uint8Array | undefined {
    return this.db.select({ k: accounts.identityKey }).from(accounts).where(eq(accounts.id, accountId)).get()?.k;
  }

  /** The account's auth credential salt; null for accounts created before groups (see `setAuthCredentialSaltIfMissing`). */
  authCredentialSalt(accountId: string): Uint8Array | null | undefined {
    return this.db.select({ s: accounts.authCredentialSalt }).from(accounts).where(eq(accounts.id, accountId)).get()?.s;
  }

  /** Gives an older account its salt; a salt already set is never replaced. */
  setAuthCredentialSaltIfMissing(accountId: string, salt: Uint8Array): void {
    this.db
      .update(accounts)
      .set({ authCredentialSalt: Buffer.from(salt) })
      .where(and(eq(accounts.id, accountId), isNull(accounts.authCredentialSalt)))
      .run();
  }

  device(accountId: string, deviceId: number): DeviceRecord | undefined {
    return this.db
      .select({
        accountId: devices.accountId,
        deviceId: devices.deviceId,
        registrationId: devices.registrationId,
        authSalt: devices.authSalt,
        authHash: devices.authHash,
        lastSeenDay: devices.lastSeenDay,
      })
      .from(devices)
      .where(and(eq(devices.accountId, accountId), eq(devices.deviceId, deviceId)))
      .get();
  }

  /** The account's devices in id order (empty for an unknown account). Callers must not modify the list. */
  devices(accountId: string): readonly DeviceAddress[] {
    const known = this.deviceLists.get(accountId);
    if (known !== undefined) return known;
    const list = this.q.devices.all({ accountId });
    if (list.length > 0) this.deviceLists.set(accountId, list);
    return list;
  }

  /**
   * `devices` for many accounts, in the order given (an unknown account gets an empty list); those not
   * yet remembered are read in one query.
   */
  devicesOfMany(accountIds: readonly string[]): (readonly DeviceAddress[])[] {
    const lists = new Array<readonly DeviceAddress[]>(accountIds.length);
    let missing: string[] | undefined;
    for (let i = 0; i < accountIds.length; i++) {
      const known = this.deviceLists.get(accountIds[i]!);
      if (known === undefined) (missing ??= []).push(accountIds[i]!);
      else lists[i] = known;
    }
    if (missing === undefined) return lists;
    const read = new Map<string, DeviceAddress[]>(missing.map((id) => [id, []]));
    for (const { accountId, deviceId, registrationId } of this.q.devicesOfMany.all({ ids: JSON.stringify(missing) })) {
      read.get(accountId)?.push({ deviceId, registrationId });
    }
    for (const [id, list] of read) if (list.length > 0) this.deviceLists.set(id, list);
    for (let i = 0; i < accountIds.length; i++) lists[i] ??= read.get(accountIds[i]!) ?? [];
    return lists;
  }

  /** Records that the device was seen on `day`; writes only when the day changed. */
  touchLastSeen(accountId: string, deviceId: number, day: number): void {
    this.db
      .update(devices)
      .set({ lastSeenDay: day })
      .where(and(eq(devices.accountId, accountId), eq(devices.deviceId, deviceId), ne(devices.lastSeenDay, day)))
      .run();
  }

  addDropped(accountId: string, deviceId: number, count: number): void {
    this.db
      .update(devices)
      .set({ droppedCount: sql`${devices.droppedCount} + ${count}` })
      .where(and(eq(devices.accountId, accountId), eq(devices.deviceId, deviceId)))
      .run();
  }

  /** Returns the dropped-envelope count and resets it to zero (call inside a transaction). */
  takeDropped(accountId: string, deviceId: number): number {
    const where = and(eq(devices.accountId, accountId), eq(devices.deviceId, deviceId));
    const dropped = this.db.select({ n: devices.droppedCount }).from(devices).where(where).get()?.n ?? 0;
    if (dropped > 0) this.db.update(devices).set({ droppedCount: 0 }).where(where).run();
    return dropped;
  }
}
