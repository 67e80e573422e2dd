import { hkdfSync, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { ProtocolError, type RegisterRequest, type RegisterResponse, type AccountId } from '@aviso/protocol';
import type { Synchronous } from '../../ports/maybe-promise.js';
import type { Transactor } from '../../ports/transactor.js';
import type { AccountsStore } from '../../ports/accounts.js';
import type { PreKeysStore } from '../../ports/prekeys.js';
import type { TokensStore } from '../../ports/tokens.js';
import { dayNumber, type Clock } from '../shared/clock.js';
import { checkSignedEcPreKey, checkSignedKyberPreKey, parseIdentityKey } from './key-checks.js';
import { hashToken } from './tokens.js';

/** A device whose credentials checked out. */
export interface AuthenticatedDevice {
  accountId: string;
  deviceId: number;
}

/** The only device id until linked devices exist. */
const PRIMARY_DEVICE_ID = 1;

/** Signal's scheme: a 16-byte random salt, HKDF-SHA256(password, salt, "authtoken") → 32 bytes. */
function hashPassword(password: string, salt: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', password, salt, 'authtoken', 32));
}

// Compared against when the device does not exist, so an unknown account costs the same work.
const DUMMY_SALT = randomBytes(16);
const DUMMY_HASH = hashPassword('not a password', DUMMY_SALT);

export class AccountsService {
  constructor(
    private readonly deps: {
      accounts: Synchronous<AccountsStore>;
      tokens: Synchronous<TokensStore>;
      prekeys: Synchronous<PreKeysStore>;
      transaction: Transactor;
      clock: Clock;
    },
  ) {}

  /**
   * Creates an account with its first device. Signatures are checked before the database is touched;
   * the token use and every insert happen in one transaction, so a failure leaves nothing behind.
   */
  register(req: RegisterRequest): RegisterResponse {
    const identity = parseIdentityKey(req.identityKey);
    const signedPreKey = checkSignedEcPreKey(identity, req.signedPreKey);
    const lastResort = checkSignedKyberPreKey(identity, req.pqLastResortPreKey, 'pqLastResortPreKey');
    const now = this.deps.clock.now();
    const accountId = randomUUID();
    const authSalt = randomBytes(16);
    const authHash = hashPassword(req.password, authSalt);

    this.deps.transaction(() => {
      if (!this.deps.tokens.consume(hashToken(req.registrationToken), now)) {
        throw new ProtocolError('INVALID_TOKEN', 'registration token is unknown, expired or used up');
      }
      const day = dayNumber(now);
      this.deps.accounts.create(
        { id: accountId, identityKey: identity.serialize(), createdDay: day, authCredentialSalt: randomBytes(32) },
        {
          accountId,
          deviceId: PRIMARY_DEVICE_ID,
          registrationId: req.registrationId,
          authSalt,
          authHash,
          lastSeenDay: day,
        },
      );
      const device = { accountId, deviceId: PRIMARY_DEVICE_ID };
      this.deps.prekeys.setSignedPreKey(device, signedPreKey);
      this.deps.prekeys.setLastResort(device, lastResort);
    });
    return { accountId: accountId as AccountId, deviceId: PRIMARY_DEVICE_ID };
  }

  /** Checks a device's password; throws UNAUTHORIZED without saying which part was wrong. */
  authenticate(accountId: string, deviceId: number, password: string): AuthenticatedDevice {
    const device = this.deps.accounts.device(accountId, deviceId);
    const candidate = hashPassword(password, device?.authSalt ?? DUMMY_SALT);
    const expected = device?.authHash ?? DUMMY_HASH;
    const matches = expected.length === candidate.length && timingSafeEqual(candidate, expected);
    if (device === undefined || !matches) throw new ProtocolError('UNAUTHORIZED', 'invalid credentials');
    this.deps.accounts.touchLastSeen(accountId, deviceId, dayNumber(this.deps.clock.now()));
    return { accountId, deviceId };
  }
}
