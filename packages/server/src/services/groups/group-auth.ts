import { randomBytes } from 'node:crypto';
import { Aci } from '@signalapp/libsignal-client';
// See relay-keys.ts: the dist entry is the one `nodenext` resolves.
import { AuthCredentialPresentation, GroupPublicParams, ServerZkAuthOperations } from '@signalapp/libsignal-client/dist/zkgroup/index.js';
import { LIMITS, ProtocolError, type AuthCredentialsResponse } from '@aviso/protocol';
import type { Synchronous } from '../../ports/maybe-promise.js';
import type { Transactor } from '../../ports/transactor.js';
import type { AccountsStore } from '../../ports/accounts.js';
import type { AuthenticatedDevice } from '../accounts/accounts.js';
import { fromBase64, toBase64 } from '../shared/bytes.js';
import { DAY_MS, type Clock } from '../shared/clock.js';

const DAY_SECONDS = 86_400;

/**
 * zkgroup auth: issues daily auth credentials to accounts (Basic auth), and verifies the presentations
 * group requests carry instead of account credentials. A verified presentation yields only the
 * member's per-group pseudonym (its `UuidCiphertext`), never the account.
 */
export class GroupAuthService {
  private readonly zk: ServerZkAuthOperations;

  constructor(
    private readonly deps: {
      accounts: Synchronous<AccountsStore>;
      transaction: Transactor;
      clock: Clock;
      serverSecretParams: ConstructorParameters<typeof ServerZkAuthOperations>[0];
    },
  ) {
    this.zk = new ServerZkAuthOperations(deps.serverSecretParams);
  }

  /**
   * One credential per day in [from, to] (seconds since the epoch, day-aligned), from yesterday up to
   * `LIMITS.maxAuthCredentialDays` days ahead: the window libsignal accepts presentations in.
   */
  issue(device: AuthenticatedDevice, from: number, to: number): AuthCredentialsResponse {
    const today = Math.floor(this.deps.clock.now() / DAY_MS) * DAY_SECONDS;
    if (from % DAY_SECONDS !== 0 || to % DAY_SECONDS !== 0) throw new ProtocolError('BAD_REQUEST', 'from and to must be day-aligned (multiples of 86400)');
    if (to < from) throw new ProtocolError('BAD_REQUEST', 'to must not be before from');
    if (from < today - DAY_SECONDS) throw new ProtocolError('BAD_REQUEST', 'from must not be before yesterday');
    const maxAhead = LIMITS.maxAuthCredentialDays * DAY_SECONDS;
    if (to > today + maxAhead || to - from > maxAhead) {
      throw new ProtocolError('BAD_REQUEST', `credentials reach at most ${LIMITS.maxAuthCredentialDays} days ahead`);
    }
    const salt = this.saltOf(device.accountId);
    const aci = Aci.fromUuid(device.accountId);
    const credentials = [];
    for (let t = from; t <= to; t += DAY_SECONDS) {
      credentials.push({ redemptionTime: t, credential: toBase64(this.zk.issueAuthCredentialZkcWithoutPni(aci, salt, t).serialize()) });
    }
    return { authCredentialSalt: toBase64(salt), credentials };
  }

  /**
   * Verifies a base64 presentation against a group's public params and returns the member ciphertext
   * (base64) it proves. Any failure (malformed, other group, other relay, outside its validity window)
   * is UNAUTHORIZED, without saying which.
   */
  verify(presentationB64: string | undefined, publicParams: Uint8Array): string {
    if (presentationB64 === undefined || presentationB64.length === 0 || presentationB64.length > 4096) {
      throw new ProtocolError('UNAUTHORIZED', 'missing or malformed group credentials');
    }
    try {
      const presentation = new AuthCredentialPresentation(fromBase64(presentationB64));
      this.zk.verifyAuthCredentialPresentation(new GroupPublicParams(new Uint8Array(publicParams)), presentation, new Date(this.deps.clock.now()));
      return toBase64(presentation.getUuidCiphertext().serialize());
    } catch (err) {
      throw new ProtocolError('UNAUTHORIZED', 'invalid group credentials', { cause: err });
    }
  }

  /** The account's salt; accounts from before groups get one here, once (the update never overwrites). */
  private saltOf(accountId: string): Uint8Array<ArrayBuffer> {
    const stored = this.deps.accounts.authCredentialSalt(accountId);
    if (stored === undefined) throw new ProtocolError('UNAUTHORIZED', 'invalid credentials');
    if (stored !== null) return new Uint8Array(stored);
    const created = this.deps.transaction(() => {
      this.deps.accounts.setAuthCredentialSaltIfMissing(accountId, randomBytes(32));
      return this.deps.accounts.authCredentialSalt(accountId);
    });
    if (!created) throw new Error('auth credential salt was not stored');
    return new Uint8Array(created);
  }
}
