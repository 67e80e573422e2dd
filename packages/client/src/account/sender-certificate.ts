import { PublicKey, SenderCertificate } from '@signalapp/libsignal-client';
import { ENDPOINTS } from '@aviso/protocol';
import { RelayRequestError } from '../errors.js';
import type { AvisoStore } from '../stores/interfaces.js';
import { copyBytes, fromBase64 } from '../util/bytes.js';
import type { Account } from './account.js';

const CERT_META = 'senderCertificate';
const CERT_REFRESH_MS = 3600_000;

/** The relay-signed sender certificate every sealed message carries, cached in the store until an hour before it expires. */
export class SenderCertificates {
  constructor(
    private readonly store: AvisoStore,
    private readonly account: Account,
  ) {}

  async current(): Promise<SenderCertificate> {
    const account = this.account.record;
    const cached = this.store.getMeta(CERT_META);
    if (cached) {
      const { certificate, expiresAt } = JSON.parse(cached) as { certificate: string; expiresAt: number };
      if (expiresAt - Date.now() > CERT_REFRESH_MS) return SenderCertificate.deserialize(fromBase64(certificate));
    }
    const res = await this.account.http.call(ENDPOINTS.senderCertificate, {});
    const certificate = SenderCertificate.deserialize(fromBase64(res.certificate));
    // Recipients would reject a certificate that does not chain to the pinned root; fail here instead.
    if (!certificate.validate(PublicKey.deserialize(copyBytes(account.trustRoot)), Date.now())) {
      throw new RelayRequestError({ code: 'BAD_RESPONSE', status: 200, retryable: false, message: 'sender certificate does not chain to the pinned trust root' });
    }
    if (certificate.senderUuid() !== account.accountId || certificate.senderDeviceId() !== account.deviceId) {
      throw new RelayRequestError({ code: 'BAD_RESPONSE', status: 200, retryable: false, message: 'sender certificate is for another device' });
    }
    this.store.commit({ meta: { [CERT_META]: JSON.stringify({ certificate: res.certificate, expiresAt: res.expiresAt }) } });
    return certificate;
  }
}
