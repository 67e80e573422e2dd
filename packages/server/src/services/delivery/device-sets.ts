import { ProtocolError, type SendMessagesRequest } from '@aviso/protocol';
import type { DeviceAddress } from '../../ports/accounts.js';
import type { GroupSendRecipient } from './sent-message.js';

// Whether a send addresses exactly the recipients' devices with their current registration ids:
// 404 for an unknown account, 409 (MISMATCHED_DEVICES) for a wrong device set, 410 (STALE_DEVICES)
// for an outdated registration id, as Signal's server answers, so the client can fix its sessions.

/**
 * A group send: `known[i]` is the relay's device list of recipient `i` (empty if unknown). Problems
 * are listed per account.
 */
export function checkRecipients(recipients: readonly GroupSendRecipient[], known: readonly (readonly DeviceAddress[])[]): void {
  const unknown = recipients.filter((_, i) => known[i]?.length === 0).map((r) => r.accountId);
  if (unknown.length > 0) throw new ProtocolError('NOT_FOUND', 'no such account', { details: { accounts: unknown.sort() } });
  const mismatched = [];
  const stale = [];
  for (let i = 0; i < recipients.length; i++) {
    const r = recipients[i]!;
    const expected = known[i] ?? [];
    // The common case, one device addressed as the relay knows it, without building maps.
    if (expected.length === 1 && r.devices.length === 1 && expected[0]!.deviceId === r.devices[0]!.deviceId && expected[0]!.registrationId === r.devices[0]!.registrationId) continue;
    const problem = deviceSetProblem(expected, new Map(r.devices.map((d) => [d.deviceId, d.registrationId])));
    if (problem?.kind === 'mismatched') mismatched.push({ accountId: r.accountId, missingDevices: problem.missingDevices, extraDevices: problem.extraDevices });
    if (problem?.kind === 'stale') stale.push({ accountId: r.accountId, staleDevices: problem.staleDevices });
  }
  if (mismatched.length > 0) {
    throw new ProtocolError('MISMATCHED_DEVICES', 'the send does not address exactly the recipients\' devices', { details: { accounts: mismatched } });
  }
  if (stale.length > 0) throw new ProtocolError('STALE_DEVICES', 'registration ids are out of date', { details: { accounts: stale } });
}

/** A 1:1 send to one account whose devices are `expected`. */
export function checkDeviceSet(expected: readonly { deviceId: number; registrationId: number }[], req: SendMessagesRequest): void {
  const problem = deviceSetProblem(expected, new Map(req.messages.map((m) => [m.destinationDeviceId, m.destinationRegistrationId])));
  if (problem?.kind === 'mismatched') {
    throw new ProtocolError('MISMATCHED_DEVICES', 'the send does not address exactly the recipient\'s devices', {
      details: { missingDevices: problem.missingDevices, extraDevices: problem.extraDevices },
    });
  }
  if (problem?.kind === 'stale') {
    throw new ProtocolError('STALE_DEVICES', 'registration ids are out of date', { details: { staleDevices: problem.staleDevices } });
  }
}

type DeviceSetProblem =
  | { kind: 'mismatched'; missingDevices: number[]; extraDevices: number[] }
  | { kind: 'stale'; staleDevices: number[] };

/** How an addressed device set (device id → registration id) differs from an account's devices, if it does. */
function deviceSetProblem(expected: readonly { deviceId: number; registrationId: number }[], addressed: ReadonlyMap<number, number>): DeviceSetProblem | undefined {
  const known = new Map(expected.map((d) => [d.deviceId, d.registrationId]));
  const missingDevices = [...known.keys()].filter((id) => !addressed.has(id)).sort((a, b) => a - b);
  const extraDevices = [...addressed.keys()].filter((id) => !known.has(id)).sort((a, b) => a - b);
  if (missingDevices.length > 0 || extraDevices.length > 0) return { kind: 'mismatched', missingDevices, extraDevices };
  const staleDevices = [...addressed]
    .filter(([id, registrationId]) => known.get(id) !== registrationId)
    .map(([id]) => id)
    .sort((a, b) => a - b);
  return staleDevices.length > 0 ? { kind: 'stale', staleDevices } : undefined;
}
