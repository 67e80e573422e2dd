import { randomBytes } from 'node:crypto';
import SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import { describe, expect, test } from 'vitest';
import { parseSentMessage, type ParsedSentMessage } from '../src/services/delivery/sent-message-format.js';

// The relay reads SentMessages itself (sent-message-format.ts). These tests hold it to the pinned
// libsignal: on well-formed messages of every shape the format allows and on corrupted ones, whatever
// the relay's reader accepts, libsignal accepts with the same recipients, devices, key-material
// ranges and shared offset; and it refuses only what libsignal refuses, or the padded varints it is
// documented to refuse.

/** Seeded, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A structurally valid SentMessage (key material and ciphertext random: neither parser decrypts). */
function sentMessage(random: () => number): Uint8Array<ArrayBuffer> {
  const version = random() < 0.2 ? 0x22 : 0x23;
  const pick = (n: number) => Math.floor(random() * n);
  const ids: Buffer[] = [];
  const count = 1 + pick(12);
  const bytes: number[] = [version, ...varint(count)];
  for (let r = 0; r < count; r++) {
    // Sometimes a recipient seen before (merged by libsignal, or refused when one side is empty).
    const id = ids.length > 0 && random() < 0.1 ? ids[pick(ids.length)]! : randomBytes(16);
    ids.push(id);
    if (version === 0x23) bytes.push(random() < 0.1 ? 0x01 : 0x00);
    bytes.push(...id);
    const devices = random() < 0.1 ? 0 : 1 + pick(3);
    if (devices === 0) {
      bytes.push(0);
      continue;
    }
    for (let d = 0; d < devices; d++) {
      const reg = pick(0x10000) & ~0x8000;
      bytes.push(1 + pick(127), ((reg >> 8) | (d < devices - 1 ? 0x80 : 0)) & 0xff, reg & 0xff);
    }
    bytes.push(...randomBytes(48));
  }
  bytes.push(...randomBytes(32 + pick(200)));
  return new Uint8Array(bytes);
}

/** libsignal's reading, in the reader's shape; undefined if libsignal refuses it. */
function libsignalRead(data: Uint8Array<ArrayBuffer>): ParsedSentMessage | undefined {
  let m: SealedSenderMultiRecipientMessage;
  try {
    m = new SealedSenderMultiRecipientMessage(data);
  } catch {
    return undefined;
  }
  const map = m.recipientsByServiceIdString();
  return {
    recipients: Object.keys(map).map((serviceId) => {
      // The native recipient carries its range (what messageForRecipient reads); the typings hide it.
      const r = map[serviceId] as unknown as { deviceIds: number[]; registrationIds: number[]; rangeOffset: number; rangeLen: number };
      return { serviceId, deviceIds: [...r.deviceIds], registrationIds: [...r.registrationIds], rangeOffset: r.rangeOffset, rangeLen: r.rangeLen };
    }),
    excluded: [...m.excludedRecipientServiceIdStrings()],
    offsetOfSharedData: m._offsetOfSharedData,
  };
}

function ourRead(data: Uint8Array): ParsedSentMessage | undefined {
  try {
    return parseSentMessage(data);
  } catch {
    return undefined;
  }
}

function corrupt(data: Uint8Array<ArrayBuffer>, random: () => number): Uint8Array<ArrayBuffer> {
  const pick = (n: number) => Math.floor(random() * n);
  const copy = new Uint8Array(data);
  switch (pick(4)) {
    case 0: {
      // a byte flipped
      const at = pick(copy.length);
      copy[at] = (copy[at] ?? 0) ^ (1 << pick(8));
      return copy;
    }
    case 1: // a byte set to a boundary value
      copy[pick(copy.length)] = [0x00, 0x01, 0x7f, 0x80, 0xff][pick(5)]!;
      return copy;
    case 2: // cut short
      return copy.slice(0, pick(copy.length));
    default: {
      // a byte inserted
      const at = pick(copy.length + 1);
      return new Uint8Array([...copy.subarray(0, at), pick(256), ...copy.subarray(at)]);
    }
  }
}

describe('the relay reads a SentMessage as libsignal does', () => {
  test('well-formed messages of every shape: ACIs and PNIs, both versions, several devices, excluded and repeated recipients', () => {
    const random = rng(1);
    let accepted = 0;
    for (let i = 0; i < 1000; i++) {
      const data = sentMessage(random);
      const theirs = libsignalRead(data);
      expect(ourRead(data)).toEqual(theirs);
      if (theirs) accepted++;
    }
    expect(accepted).toBeGreaterThan(500); // most are valid: the comparison is not only of refusals
  });

  test('corrupted messages: what the reader accepts, libsignal reads the same; what it refuses, libsignal refuses', () => {
    const random = rng(2);
    let acceptedCorrupt = 0;
    let padded = 0;
    for (let i = 0; i < 3000; i++) {
      const data = corrupt(sentMessage(random), random);
      const theirs = libsignalRead(data);
      const ours = ourRead(data);
      if (ours === undefined && theirs !== undefined) {
        // The one refusal of its own: a padded count, which libsignal misreads (see the next test).
        expect(() => parseSentMessage(data)).toThrow('padded varint');
        padded++;
        continue;
      }
      expect(ours).toEqual(theirs);
      if (ours) acceptedCorrupt++;
    }
    expect(acceptedCorrupt).toBeGreaterThan(50);
    expect(padded).toBeLessThan(20);
  });

  test('a padded varint count, which libsignal reads as the count plus a shifted recipient list, is refused', () => {
    const random = rng(3);
    const data = sentMessage(random);
    // Count 1 as two bytes (0x81 0x00): libsignal skips one byte and reads the 0x00 as the next field.
    const padded = new Uint8Array([data[0]!, 0x81, 0x00, ...randomBytes(17 + 3 + 48 + 32)]);
    padded[3] = 0x00; // an ACI kind byte where libsignal would expect one
    expect(() => parseSentMessage(padded)).toThrow();
  });

  test('edge cases: empty, unknown version, no shared part, device id above 127, unknown service id kind', () => {
    const one = (kind: number, device: number, sharedLen: number) =>
      new Uint8Array([0x23, 1, kind, ...randomBytes(16), device, 0x00, 0x01, ...randomBytes(48), ...randomBytes(sharedLen)]);
    for (const data of [new Uint8Array(), new Uint8Array([0x11, 0]), one(0, 1, 31), one(0, 128, 32), one(0, 0xff, 32), one(2, 1, 32)]) {
      expect(libsignalRead(data)).toBeUndefined();
      expect(() => parseSentMessage(data)).toThrow();
    }
    const ok = one(0, 127, 32);
    expect(ourRead(ok)).toEqual(libsignalRead(ok));
    expect(ourRead(ok)?.recipients[0]?.deviceIds).toEqual([127]);
  });
});
