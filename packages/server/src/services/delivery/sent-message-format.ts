// Why this exists: libsignal's `SealedSenderMultiRecipientMessage` parses a SentMessage natively but
// hands it over as a JS object built key by key (a string, two arrays and an object per recipient):
// for a 1,000-member send that costs several milliseconds, the largest single item of a group send
// on the relay. The format is small and fixed (libsignal rust/protocol/src/sealed_sender.rs,
// `SealedSenderV2SentMessage::parse`), so the relay reads it here, in one pass over the bytes, and
// accepts a strict subset of what libsignal accepts: whatever this reader takes, libsignal takes too,
// with the same recipients, devices, key-material ranges and shared part (test/sent-message-format.test.ts
// checks that against the pinned libsignal, on valid messages and on corrupted ones).

/** `(required_version << 4) | version`: recipients as raw ACI UUIDs. */
const V2_UUID = 0x22;
/** Recipients as ServiceId fixed-width binary (a kind byte, then the UUID). What libsignal sends today. */
const V2_SERVICE_ID = 0x23;
const SERVICE_ID_KIND_ACI = 0x00;
const SERVICE_ID_KIND_PNI = 0x01;
/** libsignal's MAX_VALID_DEVICE_ID; above it libsignal refuses, and the one-byte device id is unambiguous. */
const MAX_DEVICE_ID = 127;
const REGISTRATION_ID_MASK = 0x3fff;
const HAS_MORE_DEVICES = 0x8000;
/** C_i (32) and AT_i (16): what only this recipient gets. */
const KEY_MATERIAL_LEN = 48;
/** The shared part starts with the ephemeral public key. */
const PUBLIC_KEY_LEN = 32;

/** One recipient of a SentMessage, as libsignal's `recipientsByServiceIdString()` gives it. */
export interface SentMessageRecipient {
  /** The service id as libsignal prints it: an ACI as its lowercase UUID, a PNI as `PNI:<uuid>`. */
  serviceId: string;
  deviceIds: number[];
  registrationIds: number[];
  /** Where this recipient's key material (C_i ‖ AT_i) lies in the message. */
  rangeOffset: number;
  rangeLen: number;
}

export interface ParsedSentMessage {
  /** Recipients with devices, in order of first appearance; a repeated one has its devices merged into the first. */
  recipients: SentMessageRecipient[];
  /** Recipients listed with no device (libsignal's `excludedRecipientServiceIdStrings()`). */
  excluded: string[];
  /** Offset of the part every recipient's ReceivedMessage ends with. */
  offsetOfSharedData: number;
}

/** A SentMessage this reader does not take (libsignal would not either, or reads it some other way). */
export class MalformedSentMessage extends Error {}

/**
 * Reads a sealed sender v2 SentMessage. Stricter than libsignal in two ways, both refusals of what
 * no libsignal sender writes: a varint (the recipient count) must be minimally encoded (libsignal
 * skips only as many bytes as the minimal encoding has, so it would read a padded one differently),
 * and more than 2^31 recipients is refused outright.
 */
export function parseSentMessage(data: Uint8Array): ParsedSentMessage {
  const end = data.length;
  if (end === 0) throw new MalformedSentMessage('empty');
  const version = data[0]!;
  if (version !== V2_UUID && version !== V2_SERVICE_ID) throw new MalformedSentMessage('unknown version');
  let at = 1;
  // The recipient count: a minimal varint, at most 31 bits.
  let count = 0;
  for (let shift = 0; ; shift += 7) {
    if (at >= end || shift > 28) throw new MalformedSentMessage('bad recipient count');
    const b = data[at++]!;
    count += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) {
      if (b === 0 && shift > 0) throw new MalformedSentMessage('padded varint');
      break;
    }
  }
  if (count > 0x7fffffff) throw new MalformedSentMessage('bad recipient count');
  const idLen = version === V2_UUID ? 16 : 17;
  const recipients: SentMessageRecipient[] = [];
  const excluded: string[] = [];
  const seen = new Map<string, SentMessageRecipient | null>();
  for (let r = 0; r < count; r++) {
    if (at + idLen > end) throw new MalformedSentMessage('truncated');
    let prefix = '';
    if (version === V2_SERVICE_ID) {
      const kind = data[at];
      if (kind === SERVICE_ID_KIND_PNI) prefix = 'PNI:';
      else if (kind !== SERVICE_ID_KIND_ACI) throw new MalformedSentMessage('unknown service id kind');
    }
    const uuid = uuidText(data, at + idLen - 16);
    const serviceId = prefix === '' ? uuid : prefix + uuid;
    at += idLen;
    const deviceIds: number[] = [];
    const registrationIds: number[] = [];
    for (;;) {
      if (at >= end) throw new MalformedSentMessage('truncated');
      const deviceId = data[at++]!;
      if (deviceId === 0) {
        if (deviceIds.length > 0) throw new MalformedSentMessage('device 0 after devices');
        break;
      }
      if (deviceId > MAX_DEVICE_ID) throw new MalformedSentMessage('bad device id');
      if (at + 2 > end) throw new MalformedSentMessage('truncated');
      const v = (data[at]! << 8) | data[at + 1]!;
      at += 2;
      deviceIds.push(deviceId);
      registrationIds.push(v & REGISTRATION_ID_MASK);
      if ((v & HAS_MORE_DEVICES) === 0) break;
    }
    let rangeOffset = 0;
    let rangeLen = 0;
    if (deviceIds.length > 0) {
      if (at + KEY_MATERIAL_LEN > end) throw new MalformedSentMessage('truncated');
      rangeOffset = at;
      rangeLen = KEY_MATERIAL_LEN;
      at += KEY_MATERIAL_LEN;
    }
    const earlier = seen.get(serviceId);
    if (earlier === undefined) {
      if (deviceIds.length === 0) {
        seen.set(serviceId, null);
        excluded.push(serviceId);
      } else {
        const recipient = { serviceId, deviceIds, registrationIds, rangeOffset, rangeLen };
        seen.set(serviceId, recipient);
        recipients.push(recipient);
      }
    } else {
      // As libsignal: a recipient may come back with more devices (kept with its first key material), never as excluded.
      if (earlier === null || deviceIds.length === 0) throw new MalformedSentMessage('recipient redundantly encoded as empty');
      earlier.deviceIds.push(...deviceIds);
      earlier.registrationIds.push(...registrationIds);
    }
  }
  if (end - at < PUBLIC_KEY_LEN) throw new MalformedSentMessage('no shared part');
  return { recipients, excluded, offsetOfSharedData: at };
}

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const UUID_TEXT = Buffer.alloc(36);

/**
 * The 16 bytes at `at` as a lowercase UUID with dashes, as libsignal prints an ACI. Written into a
 * scratch buffer and read out once: one flat string per recipient, where a template of hex slices
 * makes five slices, a rope of their joins, and the flat copy the first Map lookup needs.
 */
function uuidText(data: Uint8Array, at: number): string {
  let o = 0;
  for (let k = 0; k < 16; k++) {
    if (k === 4 || k === 6 || k === 8 || k === 10) UUID_TEXT[o++] = 0x2d; // '-'
    const b = data[at + k]!;
    UUID_TEXT[o++] = HEX_DIGITS[b >> 4]!;
    UUID_TEXT[o++] = HEX_DIGITS[b & 15]!;
  }
  return UUID_TEXT.toString('latin1', 0, 36);
}
