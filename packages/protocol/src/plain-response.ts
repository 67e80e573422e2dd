import { RESPONSE } from './frames.js';

const MAX_FRAME_ID = 2 ** 31 - 1;
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const HEAD = ascii(`{"type":"${RESPONSE}","id":`);
const MIDDLE = ascii(',"status":');
const ZERO = 0x30;
const NINE = 0x39;
const CLOSE_BRACE = 0x7d;

function matches(bytes: Uint8Array, at: number, expected: Uint8Array): boolean {
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return false;
  return true;
}

/**
 * The response frame `bytes` (UTF-8) is, if it is an acknowledgement exactly as clients write it
 * (`encodeFrame` of `{type, id, status}`: `{"type":"response","id":<0|[1-9]\d{0,9}>,"status":<[1-5]\d\d>}`)
 * and within the schema's bounds; anything else is for the generic decoder (`decodeClientFrame`),
 * which agrees with this one wherever this one answers. Read from the bytes, without a string or a
 * regular expression: the relay reads one per member per alert.
 */
export function readPlainResponse(bytes: Uint8Array): { type: typeof RESPONSE; id: number; status: number } | undefined {
  // Shortest: head, one id digit, middle, three status digits, brace. Longest: ten id digits.
  const fixed = HEAD.length + MIDDLE.length + 4;
  if (bytes.length < fixed + 1 || bytes.length > fixed + 10) return undefined;
  if (!matches(bytes, 0, HEAD)) return undefined;
  let at = HEAD.length;
  const digitsEnd = bytes.length - MIDDLE.length - 4;
  if (bytes[at] === ZERO && digitsEnd !== at + 1) return undefined; // no leading zero
  let id = 0;
  for (; at < digitsEnd; at++) {
    const c = bytes[at]!;
    if (c < ZERO || c > NINE) return undefined;
    id = id * 10 + (c - ZERO);
  }
  if (!matches(bytes, at, MIDDLE)) return undefined;
  at += MIDDLE.length;
  const [s0, s1, s2, end] = [bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!];
  if (s0 < 0x31 || s0 > 0x35 || s1 < ZERO || s1 > NINE || s2 < ZERO || s2 > NINE || end !== CLOSE_BRACE) return undefined;
  if (id > MAX_FRAME_ID) return undefined;
  return { type: RESPONSE, id, status: (s0 - ZERO) * 100 + (s1 - ZERO) * 10 + (s2 - ZERO) };
}
