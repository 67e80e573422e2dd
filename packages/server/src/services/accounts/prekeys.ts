import {
  LIMITS,
  ProtocolError,
  type AccountId,
  type DevicePreKeyBundle,
  type PreKeyBatchResponse,
  type PreKeyBundleResponse,
  type PreKeyCount,
  type SetKeysRequest,
} from '@aviso/protocol';
import { PublicKey } from '@signalapp/libsignal-client';
import type { Synchronous } from '../../ports/maybe-promise.js';
import type { Transactor } from '../../ports/transactor.js';
import type { AccountsStore } from '../../ports/accounts.js';
import type { PreKeysStore, StoredPreKey, StoredSignedPreKey } from '../../ports/prekeys.js';
import type { AuthenticatedDevice } from './accounts.js';
import { copyBytes, toBase64 } from '../shared/bytes.js';
import { checkEcPreKey, checkSignedEcPreKey, checkSignedKyberPreKey } from './key-checks.js';
import type { RateLimiter } from '../shared/rate-limit.js';

export class PreKeysService {
  constructor(
    private readonly deps: {
      accounts: Synchronous<AccountsStore>;
      prekeys: Synchronous<PreKeysStore>;
      transaction: Transactor;
      /** Bundle fetches, keyed by (requesting account, target device). */
      fetchLimiter: RateLimiter;
      /** Bundle fetches with account credentials, keyed by the requesting account alone. */
      requesterLimiter: RateLimiter;
      /** Bundle fetches through group send tokens, single and batched, keyed by the target account. */
      groupLimiter: RateLimiter;
    },
  ) {}

  /** Verifies every key against the account's identity key, then stores all of them, or none. */
  setKeys(device: AuthenticatedDevice, req: SetKeysRequest): void {
    const identityBytes = this.deps.accounts.identityKey(device.accountId);
    if (identityBytes === undefined) throw new ProtocolError('UNAUTHORIZED', 'invalid credentials');
    const identity = PublicKey.deserialize(copyBytes(identityBytes));
    const preKeys = (req.preKeys ?? []).map(checkEcPreKey);
    const pqPreKeys = (req.pqPreKeys ?? []).map((k) => checkSignedKyberPreKey(identity, k, 'pqPreKey'));
    const signedPreKey = req.signedPreKey && checkSignedEcPreKey(identity, req.signedPreKey);
    const lastResort = req.pqLastResortPreKey && checkSignedKyberPreKey(identity, req.pqLastResortPreKey, 'pqLastResortPreKey');

    this.deps.transaction(() => {
      const repo = this.deps.prekeys;
      if (preKeys.length > 0) repo.addEcPreKeys(device, preKeys, LIMITS.maxStoredPreKeys);
      if (pqPreKeys.length > 0) repo.addKyberPreKeys(device, pqPreKeys, LIMITS.maxStoredPreKeys);
      if (signedPreKey) repo.setSignedPreKey(device, signedPreKey);
      if (lastResort) repo.setLastResort(device, lastResort);
    });
  }

  count(device: AuthenticatedDevice): PreKeyCount {
    const { ec, kyber } = this.deps.prekeys.counts(device);
    return { count: ec, pqCount: kyber };
  }

  /**
   * One bundle per requested device, consuming one one-time EC key (if any) and one one-time Kyber key,
   * falling back to the last-resort Kyber key. Rate-limited per (requester, target device) so that an
   * account cannot drain someone's one-time keys, and per requester whatever the target, before the
   * target is looked up: a probe of an unknown account id costs what a fetch of a real one does, so
   * an account can test only so many ids for existence (each real one costing its owner a one-time
   * key) however many it guesses.
   */
  bundle(requester: AuthenticatedDevice, accountId: string, deviceId: number | '*'): PreKeyBundleResponse {
    this.deps.fetchLimiter.take(`${requester.accountId}>${accountId}.${deviceId}`);
    this.deps.requesterLimiter.take(requester.accountId);
    return this.pop(accountId, deviceId);
  }

  /**
   * The same, for a fetch authorised by a group send token for exactly `accountId` (already verified).
   * The relay does not know who holds the token, and every member of a group shows the same one for
   * a given member, so the bucket is the target account's, shared with batches (`groupLimiter`):
   * sized so that every active sender in a raid reaches a newcomer once, while a single member
   * cannot drain a target's one-time keys faster than it refills (a drained target falls back to
   * its last-resort key, and its client uploads more).
   */
  bundleWithToken(accountId: string, deviceId: number | '*'): PreKeyBundleResponse {
    this.deps.groupLimiter.take(accountId);
    return this.pop(accountId, deviceId);
  }

  /**
   * Every device's bundle of each of `accountIds` (distinct, at most `maxKeyBatchAccounts`), for a
   * batch authorised by one group send token for exactly that set (already verified). Each account
   * costs one fetch from a bucket of its own that every batch shares, whatever the set: keyed by the
   * token, a member could list a target in ever new sets (each set is another token) and drain its
   * one-time keys. Taken all or none before anything is read, so a batch of N counts as N fetches;
   * what it consumes is exactly what N single fetches (`bundleWithToken(…, '*')`) would, in one
   * transaction. Accounts without keys are `missing`.
   */
  bundlesWithToken(accountIds: readonly AccountId[]): PreKeyBatchResponse {
    if (accountIds.length > LIMITS.maxKeyBatchAccounts) throw new ProtocolError('BAD_REQUEST', `at most ${LIMITS.maxKeyBatchAccounts} accounts per batch`);
    this.deps.groupLimiter.takeEach(accountIds);
    return this.deps.transaction(() => {
      const bundles: PreKeyBatchResponse['bundles'] = [];
      const missing: AccountId[] = [];
      for (const accountId of accountIds) {
        const bundle = this.read(accountId, '*');
        if (typeof bundle !== 'object') missing.push(accountId);
        else bundles.push({ accountId, ...bundle });
      }
      return { bundles, missing };
    });
  }

  private pop(accountId: string, deviceId: number | '*'): PreKeyBundleResponse {
    return this.deps.transaction(() => {
      const bundle = this.read(accountId, deviceId);
      if (bundle === 'no-account') throw new ProtocolError('NOT_FOUND', 'no such account');
      if (bundle === 'no-device') throw new ProtocolError('NOT_FOUND', 'no such device');
      if (bundle === undefined) throw new ProtocolError('NOT_FOUND', 'no keys for this device');
      return bundle;
    });
  }

  /** One account's bundle, consuming its one-time keys; inside the caller's transaction. */
  private read(accountId: string, deviceId: number | '*'): PreKeyBundleResponse | 'no-account' | 'no-device' | undefined {
    const identityKey = this.deps.accounts.identityKey(accountId);
    if (identityKey === undefined) return 'no-account';
    const all = this.deps.accounts.devices(accountId);
    const targets = deviceId === '*' ? all : all.filter((d) => d.deviceId === deviceId);
    if (targets.length === 0) return 'no-device';
    const devices: DevicePreKeyBundle[] = [];
    for (const target of targets) {
      const key = { accountId, deviceId: target.deviceId };
      const signedPreKey = this.deps.prekeys.signedPreKey(key);
      const pqPreKey = this.deps.prekeys.popKyberPreKey(key) ?? this.deps.prekeys.lastResort(key);
      // Registration stores both; a device without them cannot be messaged, so it is left out.
      if (signedPreKey === undefined || pqPreKey === undefined) continue;
      const preKey = this.deps.prekeys.popEcPreKey(key);
      devices.push({
        deviceId: target.deviceId,
        registrationId: target.registrationId,
        signedPreKey: signed(signedPreKey),
        ...(preKey === undefined ? {} : { preKey: unsigned(preKey) }),
        pqPreKey: signed(pqPreKey),
      });
    }
    if (devices.length === 0) return undefined;
    return { identityKey: toBase64(identityKey), devices };
  }
}

function unsigned(k: StoredPreKey) {
  return { keyId: k.keyId, publicKey: toBase64(k.publicKey) };
}

function signed(k: StoredSignedPreKey) {
  return { keyId: k.keyId, publicKey: toBase64(k.publicKey), signature: toBase64(k.signature) };
}
