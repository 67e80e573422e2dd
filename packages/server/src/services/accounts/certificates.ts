import type { SenderCertificateResponse } from '@aviso/protocol';
import { PublicKey, SenderCertificate } from '@signalapp/libsignal-client';
import { ProtocolError } from '@aviso/protocol';
import type { RelayKeys } from '../../relay-keys.js';
import type { Synchronous } from '../../ports/maybe-promise.js';
import type { AccountsStore } from '../../ports/accounts.js';
import type { AuthenticatedDevice } from './accounts.js';
import { copyBytes, toBase64 } from '../shared/bytes.js';
import type { Clock } from '../shared/clock.js';

/** Issues sealed-sender certificates: "this identity key speaks for account.device", signed by the relay. */
export class CertificatesService {
  constructor(
    private readonly deps: { accounts: Synchronous<AccountsStore>; keys: RelayKeys; clock: Clock; ttlMs: number },
  ) {}

  issue(device: AuthenticatedDevice): SenderCertificateResponse {
    const identityBytes = this.deps.accounts.identityKey(device.accountId);
    if (identityBytes === undefined) throw new ProtocolError('UNAUTHORIZED', 'invalid credentials');
    const expiresAt = this.deps.clock.now() + this.deps.ttlMs;
    const certificate = SenderCertificate.new(
      device.accountId,
      null, // no phone numbers in Aviso
      device.deviceId,
      PublicKey.deserialize(copyBytes(identityBytes)),
      expiresAt,
      this.deps.keys.serverCertificate,
      this.deps.keys.serverKey,
    );
    return { certificate: toBase64(certificate.serialize()), expiresAt };
  }
}
