import { KEMPublicKey, PreKeyBundle, ProtocolAddress, PublicKey, processPreKeyBundle } from '@signalapp/libsignal-client';
import type { DevicePreKeyBundle, PreKeyBundleResponse } from '@aviso/protocol';
import type { SignalStores } from '../stores/libsignal-adapters.js';
import { fromBase64 } from '../util/bytes.js';

export function toPreKeyBundle(identityKey: PublicKey, d: DevicePreKeyBundle): PreKeyBundle {
  return PreKeyBundle.new(
    d.registrationId,
    d.deviceId,
    d.preKey?.keyId ?? null,
    d.preKey ? PublicKey.deserialize(fromBase64(d.preKey.publicKey)) : null,
    d.signedPreKey.keyId,
    PublicKey.deserialize(fromBase64(d.signedPreKey.publicKey)),
    fromBase64(d.signedPreKey.signature),
    identityKey,
    d.pqPreKey.keyId,
    KEMPublicKey.deserialize(fromBase64(d.pqPreKey.publicKey)),
    fromBase64(d.pqPreKey.signature),
  );
}

/**
 * Starts a session (PQXDH) with every device in a bundle response, or only with `onlyDevices`.
 * libsignal verifies the prekey signatures against the identity key and asks the identity store
 * whether the key is trusted for sending (UntrustedIdentity otherwise). Returns the device ids.
 */
export async function buildSessions(
  stores: SignalStores,
  local: ProtocolAddress,
  accountId: string,
  response: PreKeyBundleResponse,
  onlyDevices?: ReadonlySet<number>,
  now: Date = new Date(),
): Promise<number[]> {
  const identityKey = PublicKey.deserialize(fromBase64(response.identityKey));
  const built: number[] = [];
  for (const device of response.devices) {
    if (onlyDevices && !onlyDevices.has(device.deviceId)) continue;
    const address = ProtocolAddress.new(accountId, device.deviceId);
    await processPreKeyBundle(toPreKeyBundle(identityKey, device), address, local, stores.session, stores.identity, now);
    built.push(device.deviceId);
  }
  return built;
}
